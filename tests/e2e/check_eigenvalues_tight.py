"""check_eigenvalues_tight.py DIR SOLVER DETAIL_REGEX: eigenvalues.npy equals
numpy.linalg.eigh of theta.npy to 1e-12 of the largest |eigenvalue| (issue 12:
results unchanged), and summary.yaml names SOLVER and a solver_detail that
matches DETAIL_REGEX."""
import os
import re
import sys

import numpy as np

directory, solver, detail = sys.argv[1], sys.argv[2], sys.argv[3]
theta = np.load(os.path.join(directory, "theta.npy"))
reference = np.linalg.eigh(theta)[0][::-1]
values = np.load(os.path.join(directory, "eigenvalues.npy"))
scale = np.abs(reference).max()
error = np.abs(values - reference[: values.shape[0]]).max() / scale
assert error <= 1e-12, f"eigenvalues differ from numpy by {error:.3e} of the largest"
summary = open(os.path.join(directory, "summary.yaml")).read()
named = re.search(r'^  solver: "?([a-z0-9]+)"?$', summary, re.M)
assert named and named.group(1) == solver, f"summary solver {named and named.group(1)}, expected {solver}"
found = re.search(r'^  solver_detail: "?([^"\n]*)"?$', summary, re.M)
assert found and re.search(detail, found.group(1)), f"solver_detail {found and found.group(1)!r} !~ {detail}"
print(f"ok: {solver} ({found.group(1)}), m = {values.shape[0]}, eigenvalue error {error:.2e}")
