"""numpy_training.py DIR STEPS LEARNING_RATE: an independent reference for
ntkgram's training. Writes DIR/inputs.npy, DIR/targets.npy and
DIR/weights.safetensors (a 3 -> 6 tanh -> 5 relu -> 2 network, standard
parameterisation, i.e. torch.nn.Linear) and DIR/expected_loss.npy: the MSE
loss 1/(2Nk) sum (f - y)^2 at steps 0..STEPS of full-batch gradient descent,
with gradients by hand-written backpropagation."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from safetensors_f64 import write_safetensors  # noqa: E402

out, steps, eta = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
rng = np.random.default_rng(11)
N, sizes = 9, [3, 6, 5, 2]
x = rng.normal(size=(N, sizes[0]))
y = rng.normal(size=(N, sizes[-1]))
np.save(f"{out}/inputs.npy", x)
np.save(f"{out}/targets.npy", y)
W = [rng.normal(size=(sizes[i + 1], sizes[i])) / np.sqrt(sizes[i]) for i in range(3)]
b = [0.2 * rng.normal(size=sizes[i + 1]) for i in range(3)]

write_safetensors(f"{out}/weights.safetensors",
                  [(f"{2 * i}.{part}", t) for i in range(3)
                   for part, t in (("weight", W[i]), ("bias", b[i]))])

acts = [np.tanh, lambda z: np.maximum(z, 0)]
derivs = [lambda z: 1 - np.tanh(z) ** 2, lambda z: (z > 0).astype(float)]
k = sizes[-1]
losses = []
for step in range(steps + 1):
    hs, zs = [x], []
    for i in range(3):
        z = hs[-1] @ W[i].T + b[i]
        zs.append(z)
        hs.append(acts[i](z) if i < 2 else z)
    r = hs[-1] - y
    losses.append((r ** 2).sum() / (2 * N * k))
    g = r / (N * k)  # dL/df
    for i in reversed(range(3)):
        gw, gb = g.T @ hs[i], g.sum(axis=0)
        if i > 0:
            g = (g @ W[i]) * derivs[i - 1](zs[i - 1])
        W[i] = W[i] - eta * gw
        b[i] = b[i] - eta * gb
np.save(f"{out}/expected_loss.npy", np.array(losses))
