"""References for tests/predict/cg.sh (predict.solver cg).

  make DIR N D K NTEST        inputs.npy, targets.npy, test_inputs.npy in DIR
  check OUT THETA_DIR RIDGE TOL FULL
      OUT/test_predictions.npy at t = infinity (predict.f0: zero) against
      test_theta @ numpy.linalg.solve(theta + ridge I, Y) with theta.npy and
      test_theta.npy from THETA_DIR, to within TOL times the condition
      number (lambda_max + ridge) / (lambda_min + ridge) (and 1e-12
      absolute); OUT/cg.csv's last row at most TOL.
  iterations OUT              the number of iterations in OUT/cg.csv
"""
import csv
import sys

import numpy as np


def make(folder, n, d, k, n_test):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((n, d))
    np.save(f"{folder}/inputs.npy", x)
    y = np.stack([np.sin(x @ rng.standard_normal(d)) for _ in range(k)], axis=1)
    np.save(f"{folder}/targets.npy", y)
    np.save(f"{folder}/test_inputs.npy", rng.standard_normal((n_test, d)))


def check(out, theta_dir, ridge, tol, full):
    theta = np.load(f"{theta_dir}/theta.npy")
    cross = np.load(f"{theta_dir}/test_theta.npy")
    y = np.load("targets.npy")
    if y.ndim == 1:
        y = y[:, None]
    k = y.shape[1]
    a = theta + ridge * np.eye(theta.shape[0])
    if full:
        expected = (cross @ np.linalg.solve(a, y.reshape(-1))).reshape(-1, k)
    else:
        expected = cross @ np.linalg.solve(a, y)
    got = np.load(f"{out}/test_predictions.npy")[-1]
    values = np.linalg.eigvalsh(theta)
    condition = (values[-1] + ridge) / max(values[0] + ridge, 1e-300)
    error = np.abs(got - expected).max() / np.abs(expected).max()
    bound = tol * condition
    print(f"{out}: relative difference {error:.3g}, tol x condition {bound:.3g} "
          f"(condition {condition:.3g})")
    if not error <= max(bound, 1e-12):
        sys.exit(f"{out}: predictions differ from numpy by {error:.3g} > {bound:.3g}")
    with open(f"{out}/cg.csv") as f:
        rows = list(csv.reader(f))
    last = [float(v) for v in rows[-1][1:]]
    if not max(last) <= tol:
        sys.exit(f"{out}: cg.csv ends at residual {max(last)} > {tol}")


def iterations(out):
    with open(f"{out}/cg.csv") as f:
        print(len(f.readlines()) - 2)


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "make":
        make(sys.argv[2], *map(int, sys.argv[3:7]))
    elif command == "check":
        check(sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5]),
              sys.argv[6] == "1")
    elif command == "iterations":
        iterations(sys.argv[2])
    else:
        sys.exit(f"unknown command {command}")
