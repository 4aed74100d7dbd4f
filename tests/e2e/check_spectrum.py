"""check_spectrum.py DIR N K [ETA]: the outputs of a run agree with numpy.

theta.npy loads with np.load and np.memmap and is symmetric; eigenvalues.npy
(descending) equals numpy.linalg.eigh of it; every eigenvector column v_i
satisfies ||Theta v - lambda v|| <= 1e-9 ||Theta||; modes.csv rates are
eta lambda / (N k); summary.yaml names the same lambda_max."""
import csv
import os
import sys
import numpy as np

directory = sys.argv[1]
n_inputs, k = int(sys.argv[2]), int(sys.argv[3])
eta = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0
theta = np.load(os.path.join(directory, "theta.npy"))
mapped = np.load(os.path.join(directory, "theta.npy"), mmap_mode="r")
assert np.array_equal(theta, mapped), "memmap and load differ"
assert theta.ndim == 2 and theta.shape[0] == theta.shape[1], theta.shape
norm = np.linalg.norm(theta, 2)
assert np.abs(theta - theta.T).max() <= 1e-13 * norm, "theta is not symmetric"

reference = np.linalg.eigh(theta)[0][::-1]
values = np.load(os.path.join(directory, "eigenvalues.npy"))
m = values.shape[0]
assert np.all(np.diff(values) <= 0), "eigenvalues are not descending"
error = np.abs(values - reference[:m]).max() / norm
assert error <= 1e-11, f"eigenvalues differ from numpy by {error:.3e} (relative)"

vectors_path = os.path.join(directory, "eigenvectors.npy")
if os.path.exists(vectors_path):
    vectors = np.load(vectors_path)
    assert vectors.shape == (theta.shape[0], m), vectors.shape
    residual = np.linalg.norm(theta @ vectors - vectors * values, axis=0).max() / norm
    assert residual <= 1e-9, f"eigenvector residual {residual:.3e}"
    orthogonality = np.abs(vectors.T @ vectors - np.eye(m)).max()
    assert orthogonality <= 1e-9, f"eigenvectors not orthonormal: {orthogonality:.3e}"

with open(os.path.join(directory, "modes.csv")) as handle:
    rows = list(csv.DictReader(handle))
assert list(rows[0].keys()) == ["mode", "eigenvalue", "rate", "target_energy",
                                "cumulative_energy"], rows[0].keys()
assert len(rows) == m
for i, row in enumerate(rows):
    assert int(row["mode"]) == i
    assert abs(float(row["eigenvalue"]) - values[i]) <= 1e-12 * norm
rates = np.array([float(r["rate"]) for r in rows])
assert np.allclose(rates, eta * values / (n_inputs * k), rtol=1e-12, atol=0), "rates"
with open(os.path.join(directory, "summary.yaml")) as handle:
    summary = handle.read()
assert "lambda_max" in summary
print(f"ok: M = {theta.shape[0]}, m = {m}, eigenvalue error {error:.2e}")
