"""compare_npy.py A.npy B.npy [TOLERANCE]: the two arrays have the same shape
and agree to TOLERANCE (default 1e-12) relative to the largest magnitude in
either, max |a - b| / max(|a|, |b|). The one .npy comparison every shell test
uses; exit status 1 with a message naming both files when they differ."""
import sys

import numpy as np

if len(sys.argv) not in (3, 4):
    sys.exit(__doc__)
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
tolerance = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-12
if a.shape != b.shape:
    sys.exit(f"{sys.argv[1]} vs {sys.argv[2]}: shape {a.shape} != {b.shape}")
scale = max(float(np.abs(a).max(initial=0.0)), float(np.abs(b).max(initial=0.0)), 1e-300)
error = float(np.abs(a - b).max(initial=0.0)) / scale
if not error <= tolerance:
    sys.exit(f"{sys.argv[1]} vs {sys.argv[2]}: relative difference {error:.3e} > {tolerance:.1e}")
print(f"{sys.argv[1]} vs {sys.argv[2]}: max relative difference {error:.2e} ({a.size} entries)")
