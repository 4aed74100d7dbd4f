"""training_modes.csv against numpy.

  check_modes.py OUT_DIR OUTPUTS X.npy Y.npy W_STD B_STD ETA STEP:PARAMS...

For each STEP:PARAMS (a params.safetensors of the model at that step), the
residual r = f - y by a numpy forward pass (dense layers with relu then tanh,
ntk parameterisation), projected on the top eigenvectors v_i of Theta_0
(OUT_DIR/eigenvectors.npy): measured = sum over outputs |v_i . r_o| (full:
one vector of length N k, row x k + o), predicted = |1 - eta lambda_i /
(N k)|^t measured(0) (discrete gradient descent), ratio = measured /
predicted, predicted_continuous = exp(-eta lambda_i t / (N k)) measured(0).
1e-10 relative.
"""
import csv
import json
import math
import struct
import sys

import numpy as np

out, outputs, x_path, y_path = sys.argv[1:5]
w_std, b_std, eta = map(float, sys.argv[5:8])
x, y = np.load(x_path), np.load(y_path)
n, k = y.shape


def load(path):
    raw = open(path, "rb").read()
    size = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + size])
    header.pop("__metadata__", None)
    tensors = {}
    for name, v in header.items():
        a, b = v["data_offsets"]
        tensors[name] = np.frombuffer(raw[8 + size + a:8 + size + b], "<f8").reshape(v["shape"])
    return tensors


def forward(params):
    names = sorted({name.split(".")[0] for name in params}, key=int)
    h = x
    for i, name in enumerate(names):
        W, b = params[name + ".weight"], params[name + ".bias"]
        h = (w_std / math.sqrt(W.shape[1])) * h @ W.T + b_std * b
        if i == 0:
            h = np.maximum(h, 0.0)
        elif i == 1:
            h = np.tanh(h)
    return h


V = np.load(f"{out}/eigenvectors.npy")
lam = np.load(f"{out}/eigenvalues.npy")
rows = list(csv.DictReader(open(f"{out}/training_modes.csv")))
header = open(f"{out}/training_modes.csv").readline().strip()
assert header == "step,mode,measured,predicted,ratio,predicted_continuous", header
modes = max(int(r["mode"]) for r in rows)
by_step = {}
for r in rows:
    by_step.setdefault(int(r["step"]), {})[int(r["mode"])] = r
assert sorted(by_step) == [0, 5, 10, 15, 20], sorted(by_step)
failures = []
initial = None
for item in sys.argv[8:]:
    step, path = item.split(":", 1)
    step = int(step)
    r = forward(load(path)) - y
    R = r.reshape(-1, 1) if outputs == "full" else r
    measured = np.abs(V[:, :modes].T @ R).sum(axis=1)
    if step == 0:
        initial = measured
    rate = eta * lam[:modes] / (n * k)
    predicted = np.abs(1.0 - rate) ** step * initial
    continuous = np.exp(-rate * step) * initial
    for i in range(modes):
        row = by_step[step][i + 1]
        for key, value in (("measured", measured[i]), ("predicted", predicted[i]),
                           ("ratio", measured[i] / predicted[i]),
                           ("predicted_continuous", continuous[i])):
            got = float(row[key])
            if abs(got - value) > 1e-10 * max(abs(value), 1e-12 * measured.max()):
                failures.append(f"step {step} mode {i + 1} {key}: {got} vs numpy {value!r}")
if failures:
    print("\n".join(failures[:20]))
    sys.exit(1)
print(f"training modes: {modes} modes, ratio of mode 1 at step 20: {by_step[20][1]['ratio']}")
