"""width_convergence.py DIR W_STD B_STD WIDTHS SEEDS: checks on the runs that
width_convergence.sh made in DIR.

1. The analytic kernels DIR/analytic-h{1,2}/theta.npy and nngp.npy (one and two
   ReLU hidden layers) equal an independent numpy implementation of the
   arc-cosine recursion on DIR/x.npy (1e-12 relative).
2. For every seed, ||Theta_emp - Theta_inf|| / ||Theta_inf|| (one hidden layer,
   DIR/w{width}-s{seed}/theta.npy) at the largest width is well below (< 0.5x)
   the one at the smallest: the empirical trace NTK (mean over logits)
   converges to the infinite-width kernel, like 1/sqrt(width)."""
import sys
import numpy as np

folder, w_std, b_std = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
widths = [int(v) for v in sys.argv[4].split(",")]
seeds = [int(v) for v in sys.argv[5].split(",")]


def relu_kernels(x, hidden):
    """Theta and Sigma of the ntk parameterisation, docs/design.md, "Infinite width"."""
    d = x.shape[1]
    sigma = w_std**2 * (x @ x.T) / d + b_std**2
    theta = sigma.copy()
    for _ in range(hidden):
        scale = np.sqrt(np.diag(sigma))
        norms = np.outer(scale, scale)
        rho = np.clip(sigma / norms, -1.0, 1.0)
        # sqrt(s) * sqrt(s) is not s in floating point, and arccos is steep at 1.
        np.fill_diagonal(rho, 1.0)
        angle = np.arccos(rho)
        e_phi = norms / (2 * np.pi) * (np.sin(angle) + (np.pi - angle) * rho)
        e_step = (np.pi - angle) / (2 * np.pi)
        sigma = w_std**2 * e_phi + b_std**2
        theta = sigma + w_std**2 * e_step * theta
    return theta, sigma


x = np.load(f"{folder}/x.npy")
failures = []
for hidden in (1, 2):
    theta, sigma = relu_kernels(x, hidden)
    for name, want in (("theta", theta), ("nngp", sigma)):
        got = np.load(f"{folder}/analytic-h{hidden}/{name}.npy")
        error = np.abs(got - want).max() / np.abs(want).max()
        print(f"{hidden} hidden layer(s): analytic {name}.npy vs numpy arc-cosine recursion: "
              f"max relative difference {error:.2e}")
        if not error < 1e-12:
            failures.append(f"analytic {name} ({hidden} hidden) differs from numpy by {error:.2e}")

analytic = np.load(f"{folder}/analytic-h1/theta.npy")
norm_inf = np.linalg.norm(analytic)
for seed in seeds:
    distances = []
    for width in widths:
        empirical = np.load(f"{folder}/w{width}-s{seed}/theta.npy")
        distances.append(np.linalg.norm(empirical - analytic) / norm_inf)
    text = ", ".join(f"width {w}: {dist:.4f}" for w, dist in zip(widths, distances))
    ratio = distances[-1] / distances[0]
    print(f"seed {seed}: ||Theta_emp - Theta_inf|| / ||Theta_inf|| {text} (ratio {ratio:.3f}; "
          f"1/sqrt(width) predicts {np.sqrt(widths[0] / widths[-1]):.3f})")
    if not ratio < 0.5:
        failures.append(f"seed {seed}: width {widths[-1]} is not well closer to the analytic "
                        f"kernel than width {widths[0]} ({text})")
if failures:
    sys.exit("\n".join(failures))
