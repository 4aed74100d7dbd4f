"""kernel_drift.csv against numpy.

  check_drift.py OUT_DIR OUTPUTS Y.npy THETA_0 THETA_10 THETA_20

The run recorded steps 0, 10 and 20 (training.kernel_every 10, 20 steps);
THETA_s is the kernel at the parameters of step s (separate runs). Columns:
kernel_distance 1 - <T_s, T_0>/(|T_s| |T_0|), relative_frobenius
|T_s - T_0| / |T_0|, velocity (kernel distance to the previous recorded
kernel over 10 steps; empty at 0), alignment <T_s, YY^T>/(|T_s| |YY^T|),
train_loss (training.csv's measured_loss at that step). 1e-10 relative.
"""
import csv
import sys

import numpy as np

out, outputs, y_path = sys.argv[1:4]
kernels = [np.load(p) for p in sys.argv[4:7]]
y = np.load(y_path)
Y = y.reshape(-1, 1) if outputs == "full" else y
T = Y @ Y.T


def distance(a, b):
    return 1 - np.sum(a * b) / (np.linalg.norm(a) * np.linalg.norm(b))


rows = list(csv.DictReader(open(f"{out}/kernel_drift.csv")))
loss = {int(r["step"]): float(r["measured_loss"]) for r in csv.DictReader(open(f"{out}/training.csv"))}
header = open(f"{out}/kernel_drift.csv").readline().strip()
assert header == "step,kernel_distance,relative_frobenius,velocity,alignment,train_loss", header
assert [int(r["step"]) for r in rows] == [0, 10, 20], [r["step"] for r in rows]
failures = []
for s, row in enumerate(rows):
    K = kernels[s]
    expected = {
        "kernel_distance": distance(K, kernels[0]),
        "relative_frobenius": np.linalg.norm(K - kernels[0]) / np.linalg.norm(kernels[0]),
        "velocity": None if s == 0 else distance(K, kernels[s - 1]) / 10,
        "alignment": np.sum(K * T) / (np.linalg.norm(K) * np.linalg.norm(T)),
        "train_loss": loss[10 * s],
    }
    for key, value in expected.items():
        got = row[key]
        if value is None:
            if got != "":
                failures.append(f"step {10 * s} {key}: {got!r}, expected empty")
            continue
        tolerance = 1e-10 * abs(value) if key != "kernel_distance" or s else 0.0
        if key in ("kernel_distance", "relative_frobenius") and s == 0:
            tolerance = 0.0
        if abs(float(got) - value) > max(tolerance, 1e-15):
            failures.append(f"step {10 * s} {key}: {got} vs numpy {value!r}")
if failures:
    print("\n".join(failures))
    sys.exit(1)
print(f"kernel drift: distance at 20 steps {rows[2]['kernel_distance']}")
