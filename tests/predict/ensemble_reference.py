"""numpy reference for predict.ensemble (tests/predict/ensemble.sh):
neural-tangents' predict.gradient_descent_mse_ensemble (get='ntk',
compute_cov=True) and, for the GP posterior, gp_inference (get='nngp'),
written out here in numpy on the kernels ntkgram wrote.

check OUT JOINT N MODE ETA RIDGE STEPS...: OUT/{theta,nngp,test_theta,
  test_nngp}.npy, the test NNGP diagonal from JOINT/nngp.npy (a run on the
  training and test inputs together; its block [N:, N:]), targets from
  targets.npy. MODE ntk: at each step t (a = ETA t / (N k)) and at infinity
  (Theta + RIDGE I)^-1:
    G = V diag((1 - exp(-a lambda)) / lambda) V^T
    mean = Theta_td G y
    cov  = (G Theta_td^T)^T K (G Theta_td^T) - (T2 + T2^T) + K_tt,
    T2   = Theta_td G K_td^T
  MODE nngp: mean = K_td (K + RIDGE I)^-1 y, cov = K_tt - K_td (K + RIDGE I)^-1 K_td^T.
  OUT/test_mean.npy against the means and OUT/test_variance.npy against
  diag(cov), 1e-10 relative (to the largest entry)."""
import sys

import numpy as np


def main(out, joint, n, mode, eta, ridge, steps):
    theta = np.load(f"{out}/theta.npy")
    nngp = np.load(f"{out}/nngp.npy")
    theta_td = np.load(f"{out}/test_theta.npy")
    nngp_td = np.load(f"{out}/test_nngp.npy")
    nngp_tt = np.diag(np.load(f"{joint}/nngp.npy")[n:, n:])
    y = np.load("targets.npy")
    size = y.size
    means, variances = [], []
    if mode == "nngp":
        solve = np.linalg.solve(nngp + ridge * np.eye(n), np.concatenate([y, nngp_td.T], axis=1))
        means.append(nngp_td @ solve[:, :y.shape[1]])
        variances.append(nngp_tt - np.einsum("li,il->l", nngp_td, solve[:, y.shape[1]:]))
    else:
        lam, V = np.linalg.eigh(theta)
        for t in steps + [np.inf]:
            if np.isinf(t):
                G = np.linalg.inv(theta + ridge * np.eye(n))
            else:
                g = -np.expm1(-np.maximum(lam, 0.0) * eta * t / size) / np.abs(lam)
                G = (V * g) @ V.T
            term_1 = G @ theta_td.T
            term_2 = theta_td @ G @ nngp_td.T
            cov = term_1.T @ nngp @ term_1 - (term_2 + term_2.T) + np.diag(nngp_tt)
            means.append(theta_td @ G @ y)
            variances.append(np.diag(cov))
    want_mean, want_variance = np.array(means), np.array(variances)
    got_mean, got_variance = np.load(f"{out}/test_mean.npy"), np.load(f"{out}/test_variance.npy")
    assert got_mean.shape == want_mean.shape, (got_mean.shape, want_mean.shape)
    assert got_variance.shape == want_variance.shape, (got_variance.shape, want_variance.shape)
    mean_error = np.abs(got_mean - want_mean).max() / np.abs(want_mean).max()
    variance_error = np.abs(got_variance - want_variance).max() / np.abs(want_variance).max()
    print(f"{out}: ensemble ({mode}) vs neural-tangents' formulas: mean {mean_error:.2e}, "
          f"variance {variance_error:.2e} (variances {want_variance.min():.3g} .. "
          f"{want_variance.max():.3g})")
    assert mean_error < 1e-10, mean_error
    assert variance_error < 1e-10, variance_error
    assert (want_variance > 0).all()


if __name__ == "__main__":
    out, joint, n, mode, eta, ridge = sys.argv[2:8]
    assert sys.argv[1] == "check"
    main(out, joint, int(n), mode, float(eta), float(ridge), [float(s) for s in sys.argv[8:]])
