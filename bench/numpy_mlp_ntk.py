"""The end-to-end reference of bench/eigensolve: what `ntkgram run
bench/mlp512.yaml` does with spectrum.vectors false, in numpy on one process
(its BLAS threads set by OPENBLAS_NUM_THREADS): inputs, an MLP 16 -> 512 ->
512 -> 1 (ReLU, ntk parameterisation), the trace NTK by the structured
formula of design.md section 1 (no Jacobian), and numpy.linalg.eigvalsh.
The random numbers differ from ntkgram's (its generator is its own); the
work is the same. Usage: numpy_mlp_ntk.py N [THETA.npy to compare against]."""
import sys
import time

import numpy as np

start = time.time()
n = int(sys.argv[1])
rng = np.random.default_rng(1)
widths = [16, 512, 512, 1]
w_std, b_std = 2.0 ** 0.5, 0.1
x = rng.standard_normal((n, widths[0]))
weights = [rng.standard_normal((widths[l + 1], widths[l])) for l in range(3)]
biases = [rng.standard_normal(widths[l + 1]) for l in range(3)]
scales = [w_std / widths[l] ** 0.5 for l in range(3)]

# forward: the layer inputs h_{l-1} and pre-activations z_l
inputs, pre = [x], []
for l in range(3):
    z = scales[l] * inputs[-1] @ weights[l].T + b_std * biases[l]
    pre.append(z)
    if l < 2:
        inputs.append(np.maximum(z, 0.0))
# backward: cotangents delta_l = df/dz_l (one output)
deltas = [np.ones((n, 1))]
for l in (2, 1):
    deltas.insert(0, (pre[l - 1] > 0) * (scales[l] * deltas[0] @ weights[l]))
# Theta = sum_l (delta_l delta_l^T) * (c_l^2 h_{l-1} h_{l-1}^T + b_std^2)
theta = np.zeros((n, n))
for l in range(3):
    theta += (deltas[l] @ deltas[l].T) * (scales[l] ** 2 * (inputs[l] @ inputs[l].T) + b_std ** 2)
assembled = time.time()
values = np.linalg.eigvalsh(theta)[::-1]
done = time.time()
print(f"numpy_assembly_seconds {assembled - start:.3f}")
print(f"numpy_eigvalsh_seconds {done - assembled:.3f}")
print(f"lambda_max {values[0]:.12g}")
