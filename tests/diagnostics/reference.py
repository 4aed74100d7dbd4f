"""Check a run's diagnostics against numpy on the gathered matrices.

Usage: reference.py OUT_DIR TARGETS.npy [full]
OUT_DIR holds theta.npy, eigenvalues.npy, eigenvectors.npy, summary.yaml,
modes.csv and (for a learning curve) learning_curve.csv. Every number is
recomputed from theta.npy, the eigenpairs and the targets with the
definitions of docs/diagnostics.md and compared to 1e-10 (relative)."""
import csv
import sys

import numpy as np
import yaml
from scipy.optimize import brentq

out, targets_path = sys.argv[1], sys.argv[2]
full = len(sys.argv) > 3 and sys.argv[3] == "full"
theta = np.load(f"{out}/theta.npy")
values = np.load(f"{out}/eigenvalues.npy")
vectors = np.load(f"{out}/eigenvectors.npy")
y = np.load(targets_path).astype(np.float64)
if y.ndim == 1:
    y = y[:, None]
n_inputs, k = y.shape
summary = yaml.safe_load(open(f"{out}/summary.yaml"))
diag = summary["diagnostics"]
job = summary["job"]["diagnostics"]
ridge = job.get("learning_curve_ridge", 0.0)
TOL = 1e-10


def close(name, got, want, tol=TOL, floor=0.0):
    """Relative error, against max(|want|, floor) (a floor for values that
    are rounding noise, such as the error of interpolating every input)."""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    scale = max(np.max(np.abs(want)) if want.size else 0.0, floor)
    err = np.max(np.abs(got - want)) / (scale if scale > 0 else 1.0) if want.size else 0.0
    assert err <= tol, f"{name}: relative error {err:.3g} (got {got}, want {want})"
    print(f"ok {name}: {err:.2e}")


# --- alignment, uncentred and centred (targets in Theta's own indexing) ---
yy = y.reshape(-1, 1) if full else y
m = theta.shape[0]
assert yy.shape[0] == m
def alignment(a, t):
    tt = t @ t.T
    return np.sum(a * tt) / (np.linalg.norm(a) * np.linalg.norm(tt))
if job["alignment"]:
    h = np.eye(m) - np.ones((m, m)) / m
    close("alignment", diag["alignment"], alignment(theta, yy))
    close("centered_alignment", diag["centered_alignment"], alignment(h @ theta @ h, h @ yy))
    rows = list(csv.DictReader(open(f"{out}/modes.csv")))
    power = np.array([float(r["target_power_cumulative"]) for r in rows])
    proj = vectors.T @ yy
    close("target_power_cumulative", power, np.cumsum(np.sum(proj ** 2, axis=1)) / np.sum(yy ** 2))
    # eigenvectors must be those of theta.npy
    close("eigenpairs", theta @ vectors, vectors * values, 1e-9)

# --- spectral statistics ---
trace = np.trace(theta)
p = values / trace
p = p[p > 0]
close("effective_rank_entropy", diag["effective_rank_entropy"], np.exp(-np.sum(p * np.log(p))))
close("stable_rank", diag["stable_rank"], trace / values[0])
cond = values[0] / values[-1] if values[-1] > 0 else np.inf
if np.isfinite(cond):
    close("condition_number", diag["condition_number"], cond)
cumulative = np.cumsum(values)
for name, fraction in (("modes_90", 0.9), ("modes_99", 0.99)):
    want = int(np.argmax(cumulative >= fraction * trace)) + 1 if cumulative[-1] >= fraction * trace else None
    assert diag[name] == want, f"{name}: {diag[name]} != {want}"
    print(f"ok {name}: {want}")

# --- learning curve: theory and measured ---
if job.get("learning_curve"):
    rows = list(csv.DictReader(open(f"{out}/learning_curve.csv")))
    sizes = [int(r["n"]) for r in rows]
    assert sizes == job["learning_curve"], (sizes, job["learning_curve"])
    mu = np.maximum(values, 0.0) / n_inputs
    coef2 = np.sum((vectors.T @ y) ** 2, axis=1) / (n_inputs * k)
    rest = max(np.sum(y ** 2) - np.sum((vectors.T @ y) ** 2), 0.0) / (n_inputs * k) \
        if len(values) < n_inputs else 0.0
    seed = job["learning_curve_seed"]
    repeats = job["learning_curve_repeats"]
    mask = (1 << 64) - 1

    def mix64(z):
        z = (z + 0x9e3779b97f4a7c15) & mask
        z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & mask
        z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & mask
        return z ^ (z >> 31)

    def subset(n, r):
        base = mix64(seed)
        stream = (0x4c43555256450000 + n) & mask
        keys = [mix64(mix64(base ^ stream) ^ ((r * n_inputs + i) & mask)) for i in range(n_inputs)]
        order = sorted(range(n_inputs), key=lambda i: (keys[i], i))
        return np.sort(np.array(order[:n]))

    for row, n in zip(rows, sizes):
        def g(kappa):
            return np.sum(mu / (mu + kappa)) + ridge / kappa - n
        if ridge > 0 or np.sum(mu > 0) > n:
            hi = (np.sum(mu) + ridge) / n
            lo = hi
            while g(lo) <= 0:
                lo /= 2
            kappa = brentq(g, lo, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=2000)
        else:
            kappa = 0.0
        learn = np.where(mu > 0, mu / (mu + kappa if kappa > 0 else mu + 0.0 + (mu == 0)), 0.0)
        denominator = n - np.sum(learn ** 2)
        error = np.sum((1 - learn) ** 2 * coef2) + rest
        predicted = n / denominator * error if denominator > 0 else (0.0 if error == 0 else np.inf)
        close(f"kappa n={n}", float(row["kappa"]), kappa, 1e-10)
        close(f"predicted_mse n={n}", float(row["predicted_mse"]), predicted)
        errors = []
        for r in range(repeats):
            s = subset(n, r)
            alpha = np.linalg.solve(theta[np.ix_(s, s)] + ridge * np.eye(n), y[s])
            errors.append(np.mean((theta[:, s] @ alpha - y) ** 2))
        # interpolating all N inputs leaves only rounding (~1e-16 of y^2)
        floor = 1e-12 * np.mean(y ** 2)
        close(f"measured_mse n={n}", float(row["measured_mse"]), np.mean(errors), floor=floor)
        # a spread of nearly equal errors is a difference of rounded numbers:
        # an error of eps in each moves it by about eps times the mean
        close(f"measured_mse_std n={n}", float(row["measured_mse_std"]), np.std(errors),
              floor=max(floor, np.mean(errors)))
print("reference: all diagnostics agree with numpy")
