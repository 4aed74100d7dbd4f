"""Check a run's per-layer kernels against numpy.

  check_layers.py OUT_DIR OUTPUTS TARGETS.npy [REFERENCE_PREFIX]

OUT_DIR holds theta.npy, theta_layer_<l>.npy, layers.csv (diagnostics.per_layer,
output.theta, output.theta_layers). Checks:
  - sum_l Theta_l == Theta to 1e-12 (relative to max |Theta|);
  - with REFERENCE_PREFIX: Theta_l == REFERENCE_PREFIX<l>.npy to 1e-10;
  - layers.csv's header, and per row trace, trace_share, lambda_max (numpy
    eigvalsh), effective_rank (trace^2 / ||Theta_l||_F^2), alignment and
    centered_alignment (with Y Y^T; H = I - 11^T / M on both) to 1e-10.
OUTPUTS is trace (Y is N x k) or full (Y is the vector of length N k).
"""
import csv
import os
import sys

import numpy as np

out, outputs, targets = sys.argv[1], sys.argv[2], sys.argv[3]
reference = sys.argv[4] if len(sys.argv) > 4 else None
failures = []


def close(a, b, tol, what):
    scale = max(abs(b), 1e-300)
    if not (abs(a - b) <= tol * scale):
        failures.append(f"{what}: {a!r} vs numpy {b!r} (relative {abs(a - b) / scale:.3g})")


theta = np.load(os.path.join(out, "theta.npy"))
m = theta.shape[0]
y = np.load(targets)
y = y.reshape(len(y), -1)
Y = y.reshape(-1, 1) if outputs == "full" else y
T = Y @ Y.T
H = np.eye(m) - np.ones((m, m)) / m


def alignment(a, b):
    return np.sum(a * b) / (np.linalg.norm(a) * np.linalg.norm(b))


with open(os.path.join(out, "layers.csv")) as f:
    reader = csv.reader(f)
    header = next(reader)
    rows = list(reader)
expected = ["layer", "type", "name", "params", "trace", "trace_share", "lambda_max",
            "effective_rank", "alignment", "centered_alignment"]
if header != expected:
    failures.append(f"layers.csv header {header}")
total = sum(np.trace(np.load(os.path.join(out, f"theta_layer_{l + 1}.npy"))) for l in range(len(rows)))
summed = np.zeros_like(theta)
for l, row in enumerate(rows):
    layer = np.load(os.path.join(out, f"theta_layer_{l + 1}.npy"))
    summed += layer
    if not np.array_equal(layer, layer.T):
        failures.append(f"theta_layer_{l + 1}.npy is not symmetric")
    if reference is not None:
        ref = np.load(f"{reference}{l + 1}.npy")
        err = np.max(np.abs(layer - ref)) / np.max(np.abs(ref))
        if not err < 1e-10:
            failures.append(f"layer {l + 1}: Theta_l vs torch autograd: {err:.3g}")
    values = dict(zip(header, row))
    if int(values["layer"]) != l + 1:
        failures.append(f"row {l + 1} is layer {values['layer']}")
    tr = np.trace(layer)
    close(float(values["trace"]), tr, 1e-12, f"layer {l + 1} trace")
    close(float(values["trace_share"]), tr / total, 1e-12, f"layer {l + 1} trace_share")
    close(float(values["lambda_max"]), np.linalg.eigvalsh(layer)[-1], 1e-10,
          f"layer {l + 1} lambda_max")
    close(float(values["effective_rank"]), tr * tr / np.sum(layer * layer), 1e-10,
          f"layer {l + 1} effective_rank")
    close(float(values["alignment"]), alignment(layer, T), 1e-10, f"layer {l + 1} alignment")
    close(float(values["centered_alignment"]), alignment(H @ layer @ H, H @ T @ H), 1e-10,
          f"layer {l + 1} centered_alignment")
err = np.max(np.abs(summed - theta)) / np.max(np.abs(theta))
if not err < 1e-12:
    failures.append(f"sum_l Theta_l vs Theta: {err:.3g}")
if failures:
    print("\n".join(failures))
    sys.exit(1)
print(f"{out}: {len(rows)} layers, sum_l Theta_l - Theta {err:.2g}")
