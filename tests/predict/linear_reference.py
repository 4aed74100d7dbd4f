"""numpy references for predict.solver (tests/predict/linear_solvers.sh).

solve OUT DATA FULL F0 ANALYTIC RIDGE: the t = infinity slice of
  OUT/test_predictions.npy against numpy.linalg.solve on the gathered
  matrices OUT/theta.npy and OUT/test_theta.npy (no eigendecomposition):
  f = f0_test - C (Theta + (RIDGE + jitter) I)^-1 (f0 - y), with f_0 from
  DATA/f0_*.npy (F0 network, empirical kernels) or 0 (F0 zero, or ANALYTIC 1:
  then this is plain kernel regression C (Theta + ridge I)^-1 y); jitter is
  summary.yaml's predict.solver.jitter. 1e-10 relative; the inf row of
  predict.csv's test loss too.

same A B: the last slices of A/test_predictions.npy and B/test_predictions.npy
  agree to 1e-10 relative."""
import csv
import sys

import numpy as np
import yaml


def relative(got, want):
    return np.abs(got - want).max() / np.abs(want).max()


def solve(out, data, full, f0_mode, analytic, ridge):
    theta = np.load(f"{out}/theta.npy")
    cross = np.load(f"{out}/test_theta.npy")
    y, y_test = np.load(f"{data}/targets.npy"), np.load(f"{data}/test_targets.npy")
    n, k = y.shape
    zero = analytic or f0_mode == "zero"
    f0 = np.zeros_like(y) if zero else np.load(f"{data}/f0_train.npy")
    f0_test = np.zeros((cross.shape[0] // (k if full else 1), k)) if zero \
        else np.load(f"{data}/f0_test.npy")
    summary = yaml.safe_load(open(f"{out}/summary.yaml"))["predict"]
    jitter = summary["solver"]["jitter"]
    r = (f0 - y).reshape(-1, 1) if full else f0 - y
    x = np.linalg.solve(theta + (ridge + jitter) * np.eye(theta.shape[0]), r)
    delta = -cross @ x
    want = f0_test + (delta.reshape(f0_test.shape) if full else delta)
    got = np.load(f"{out}/test_predictions.npy")[-1]
    error = relative(got, want)
    rows = list(csv.DictReader(open(f"{out}/predict.csv")))
    test_loss = ((want - y_test) ** 2).sum() / (2 * y_test.size)
    loss_error = abs(float(rows[-1]["test_loss"]) - test_loss) / test_loss
    print(f"{out}: {summary['solver']['name']} vs numpy.linalg.solve (cond "
          f"{np.linalg.cond(theta + ridge * np.eye(theta.shape[0])):.3g}): predictions "
          f"{error:.2e}, test loss {loss_error:.2e}, residual {summary['solver']['residual']}")
    assert rows[-1]["step"] == "inf", rows[-1]
    assert error < 1e-10, error
    assert loss_error < 1e-10, loss_error


if __name__ == "__main__":
    if sys.argv[1] == "solve":
        out, data, full, f0_mode, analytic, ridge = sys.argv[2:8]
        solve(out, data, full == "1", f0_mode, analytic == "1", float(ridge))
    elif sys.argv[1] == "same":
        a = np.load(f"{sys.argv[2]}/test_predictions.npy")[-1]
        b = np.load(f"{sys.argv[3]}/test_predictions.npy")[-1]
        error = relative(a, b)
        print(f"{sys.argv[2]} vs {sys.argv[3]}: {error:.2e}")
        assert error < 1e-10, error
    else:
        raise SystemExit(f"unknown mode {sys.argv[1]}")
