"""compare.py A B: for each point folder of sweep output A (or A itself when it
is one run), max |Theta_A - Theta_B| / max |Theta_A| against the same folder of B."""
import os
import sys

import numpy as np

a, b = sys.argv[1], sys.argv[2]
points = sorted(p for p in os.listdir(a) if os.path.isdir(os.path.join(a, p))) or [""]
for point in points:
    ta = np.load(os.path.join(a, point, "theta.npy"))
    tb = np.load(os.path.join(b, point, "theta.npy"))
    print(f"{point or '.'}: {np.abs(ta - tb).max() / np.abs(ta).max():.3e}")
