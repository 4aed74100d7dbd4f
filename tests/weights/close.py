"""close.py A.npy B.npy TOLERANCE: same shape, max |a - b| / max |b| <= TOLERANCE."""
import sys

import numpy as np

a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
tolerance = float(sys.argv[3])
if a.shape != b.shape:
    sys.exit(f"{sys.argv[1]}: shape {a.shape}, expected {b.shape}")
error = np.abs(a - b).max() / max(np.abs(b).max(), 1e-300)
print(f"{sys.argv[1]} vs {sys.argv[2]}: max relative difference {error:.2e}")
if not error <= tolerance:
    sys.exit(f"relative difference {error:.3e} > {tolerance:.1e}")
