"""point_name.py KEY=VALUE...: the folder name of a sweep point as
docs/sweeps.md documents it (sweep/point.h): "key=value" joined by ',' in
key order, characters other than [A-Za-z0-9._-+=,] replaced by '_', and when
a value had to be changed (or the name is over 200 characters) "~" and the
FNV-1a hash of the exact text in 16 hex digits, the name cut to fit."""
import re
import sys

exact = ",".join(sys.argv[1:])
safe = re.sub(r"[^A-Za-z0-9._\-+=,]", "_", exact)
values_changed = any(re.search(r"[^A-Za-z0-9._\-+=,]", a.split("=", 1)[1]) for a in sys.argv[1:])
if not values_changed and len(exact) <= 200:
    print(safe)
else:
    h = 1469598103934665603
    for byte in exact.encode():
        h = ((h ^ byte) * 1099511628211) % (1 << 64)
    keep = len(safe) if len(safe) + 17 <= 200 else 200 - 17
    print(f"{safe[:keep]}~{h:016x}")
