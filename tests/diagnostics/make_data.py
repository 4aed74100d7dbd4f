"""Inputs, targets and held-out inputs for the diagnostics tests: N points
in d dimensions with k smooth targets. Usage: make_data.py N D K DIR"""
import sys

import numpy as np

n, d, k, folder = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rng = np.random.default_rng(11)
x = rng.standard_normal((n, d))
y = np.stack([np.sin(x[:, c % d]) + 0.3 * x[:, (c + 1) % d] for c in range(k)], axis=1)
np.save(f"{folder}/inputs.npy", x)
np.save(f"{folder}/targets.npy", y)
np.save(f"{folder}/test_inputs.npy", rng.standard_normal((7, d)))
