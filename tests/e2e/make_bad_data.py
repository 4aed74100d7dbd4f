"""make_bad_data.py DIR: data files with one defect each, for bad_inputs.sh."""
import os
import sys
import numpy as np

d = sys.argv[1]
rng = np.random.default_rng(0)
good = rng.standard_normal((20, 4))
np.save(os.path.join(d, "good.npy"), good)
# 3-D and 4-D arrays are sequences and images (conv networks); 5-D is refused.
np.save(os.path.join(d, "five_d.npy"), rng.standard_normal((4, 5, 2, 1, 1)))
np.save(os.path.join(d, "ints.npy"), np.arange(20, dtype=np.int64).reshape(5, 4))
nan = good.copy()
nan[13, 2] = np.nan
np.save(os.path.join(d, "nan.npy"), nan)
np.save(os.path.join(d, "truncated.npy"), good)
with open(os.path.join(d, "truncated.npy"), "r+b") as handle:
    handle.truncate(os.path.getsize(os.path.join(d, "truncated.npy")) - 100)
np.save(os.path.join(d, "targets_short.npy"), rng.standard_normal((19, 1)))
with open(os.path.join(d, "ragged.csv"), "w") as handle:
    handle.write("a,b,c\n1,2,3\n4,5\n")
