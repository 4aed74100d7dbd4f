"""close_npy.py A B RTOL: the two .npy arrays have the same shape and agree to
RTOL relative to the largest magnitude of A (for results that pass through the
eigensolver, which is not bitwise repeatable run to run on every rank count)."""
import sys

import numpy as np

a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
rtol = float(sys.argv[3])
if a.shape != b.shape:
    sys.exit(f"shapes differ: {a.shape} vs {b.shape}")
scale = max(float(np.max(np.abs(a))), 1e-300)
error = float(np.max(np.abs(a - b))) / scale
if not error <= rtol:
    sys.exit(f"{sys.argv[1]} vs {sys.argv[2]}: relative difference {error:.3e} > {rtol:g}")
print(f"relative difference {error:.3e}")
