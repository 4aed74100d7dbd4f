"""compare_layouts.py REFERENCE MOVED: the same job solved on the assembly's
layout (REFERENCE) and on another spectrum.grid / spectrum.block (MOVED) gives
the same eigenvalues to 1e-12 of the largest, and the same eigenvectors up to
sign wherever the eigenvalue is separated from the others (there the
difference is bounded by rounding over the gap: 1e-12 ||Theta|| / gap)."""
import os
import sys

import numpy as np

reference_dir, moved_dir = sys.argv[1], sys.argv[2]
a = np.load(os.path.join(reference_dir, "eigenvalues.npy"))
b = np.load(os.path.join(moved_dir, "eigenvalues.npy"))
assert a.shape == b.shape, f"{a.shape} eigenvalues against {b.shape}"
theta = np.load(os.path.join(reference_dir, "theta.npy"))
assert np.array_equal(theta, np.load(os.path.join(moved_dir, "theta.npy"))), "Theta differs"
scale = np.abs(np.linalg.eigvalsh(theta)).max()
error = np.abs(a - b).max() / scale
assert error <= 1e-12, f"eigenvalues differ by {error:.3e} of the largest"
compared, worst = 0, 0.0
va_path = os.path.join(reference_dir, "eigenvectors.npy")
vb_path = os.path.join(moved_dir, "eigenvectors.npy")
assert os.path.exists(va_path) == os.path.exists(vb_path), "only one run wrote eigenvectors"
if os.path.exists(va_path):
    va, vb = np.load(va_path), np.load(vb_path)
    assert va.shape == vb.shape, f"eigenvectors {va.shape} against {vb.shape}"
    everything = np.linalg.eigvalsh(theta)
    for i in range(a.shape[0]):
        others = np.delete(everything, np.argmin(np.abs(everything - a[i])))
        gap = np.abs(others - a[i]).min() if others.size else scale
        if gap < 1e-6 * scale:
            continue  # a cluster: any basis of it is right; the residual check covers it
        sign = 1.0 if va[:, i] @ vb[:, i] >= 0 else -1.0
        difference = np.abs(va[:, i] - sign * vb[:, i]).max()
        limit = 1e-12 * scale / gap + 1e-13
        assert difference <= limit, f"eigenvector {i} differs by {difference:.3e} (gap {gap:.3e})"
        worst = max(worst, difference / limit)
        compared += 1
print(f"ok: {a.shape[0]} eigenvalues (error {error:.2e}), {compared} eigenvectors up to sign "
      f"(worst {worst:.2f} of the limit)")
