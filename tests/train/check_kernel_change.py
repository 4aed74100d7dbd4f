"""check_kernel_change.py THETA0.npy THETA_T.npy SUMMARY.yaml: the
kernel_change in the summary equals ||Theta_T - Theta_0||_F / ||Theta_0||_F
computed here from the two matrices. Prints the value."""
import re
import sys

import numpy as np

theta0, theta_t = np.load(sys.argv[1]), np.load(sys.argv[2])
want = np.linalg.norm(theta_t - theta0) / np.linalg.norm(theta0)
text = open(sys.argv[3]).read()
match = re.search(r"^\s*kernel_change:\s*(\S+)", text, re.M)
if not match:
    sys.exit(f"{sys.argv[3]} has no kernel_change")
got = float(match.group(1))
print(f"kernel_change={got:.6g} (numpy {want:.6g})")
if abs(got - want) > 1e-8 * want:
    sys.exit(f"kernel_change {got} != {want}")
