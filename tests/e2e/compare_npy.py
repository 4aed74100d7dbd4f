"""compare_npy.py A.npy B.npy [TOLERANCE]: the arrays have the same shape and
agree to TOLERANCE relative to the largest entry (default 1e-12)."""
import sys
import numpy as np

a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
tolerance = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-12
if a.shape != b.shape:
    sys.exit(f"shape {a.shape} != {b.shape}")
scale = max(np.abs(a).max(), np.abs(b).max(), 1e-300)
error = np.abs(a - b).max() / scale
if not error <= tolerance:
    sys.exit(f"{sys.argv[1]} vs {sys.argv[2]}: relative difference {error:.3e} > {tolerance:.1e}")
print(f"max relative difference {error:.2e}")
