"""check_matrix_free.py MF_DIR DENSE_DIR TOP [TOLERANCE]: a matrix_free run
against the dense run of the same job (pdsyevd, theta.npy written).

Eigenvalues equal the dense ones (pdsyevd's eigenvalues.npy) to 1e-10
relative to each; eigenvectors.npy is M x TOP, column i for eigenvalue i,
equal to the dense eigenvectors up to sign (where the eigenvalue is
separated) and with ||Theta v - lambda v|| / lambda_max <= TOLERANCE for
Theta = theta.npy; summary.yaml reports TOP converged pairs, the products
and per-pair residuals below TOLERANCE; modes.csv has TOP rows."""
import csv
import os
import sys
import numpy as np

mf, dense, top = sys.argv[1], sys.argv[2], int(sys.argv[3])
tolerance = float(sys.argv[4]) if len(sys.argv) > 4 else 1e-10
theta = np.load(os.path.join(dense, "theta.npy"))
dense_values = np.load(os.path.join(dense, "eigenvalues.npy"))
dense_vectors = np.load(os.path.join(dense, "eigenvectors.npy"), mmap_mode="r")
values = np.load(os.path.join(mf, "eigenvalues.npy"))
vectors = np.load(os.path.join(mf, "eigenvectors.npy"))
m = theta.shape[0]
assert values.shape == (top,), values.shape
assert vectors.shape == (m, top), vectors.shape
relative = np.abs(values - dense_values[:top]) / np.abs(dense_values[:top])
assert relative.max() <= 1e-10, f"eigenvalues differ from pdsyevd by {relative.max():.3e}"
lambda_max = dense_values[0]
residual = np.linalg.norm(theta @ vectors - vectors * values, axis=0) / lambda_max
assert residual.max() <= tolerance, f"residual {residual.max():.3e} > {tolerance}"
norms = np.linalg.norm(vectors, axis=0)
assert np.abs(norms - 1).max() <= 1e-10, "eigenvectors are not unit vectors"
gaps = np.abs(np.diff(dense_values[: top + 1]))
for i in range(top):
    gap = min(gaps[i], gaps[i - 1] if i > 0 else np.inf)
    if gap > 1e-6 * lambda_max:  # a separated eigenvalue: its vector is unique up to sign
        overlap = abs(float(vectors[:, i] @ dense_vectors[:, i]))
        assert abs(overlap - 1) <= 1e-8, f"eigenvector {i}: |<v, v_dense>| = {overlap}"

summary = open(os.path.join(mf, "summary.yaml")).read()
block = summary[summary.index("  matrix_free:"):]
fields = {}
for line in block.splitlines()[1:]:
    if not line.startswith("    "):
        break
    key, _, value = line.strip().partition(": ")
    fields[key] = value
assert int(fields["converged"]) == top, fields
assert int(fields["products"]) >= top, fields
pairs = [float(x) for x in fields["pair_residuals"].strip("[]").split(",")]
assert len(pairs) == top and max(pairs) <= tolerance, pairs
assert abs(max(pairs) - residual.max()) <= 1e-12 + 0.5 * residual.max(), (pairs, residual)
trace = float(summary.split("\n  trace: ")[1].split("\n")[0])
assert abs(trace - np.trace(theta)) <= 1e-10 * np.trace(theta), (trace, np.trace(theta))
with open(os.path.join(mf, "modes.csv")) as handle:
    rows = list(csv.DictReader(handle))
assert len(rows) == top
print(f"ok: top {top} of M = {m}: eigenvalues {relative.max():.2e} relative, "
      f"residual {residual.max():.2e}, {fields['products']} products")
