"""analytic_reference.py DIR: checks on the runs analytic.sh made in DIR.

1. The analytic (infinite-width) Theta and NNGP of two ReLU nets with blocks
   equal an independent numpy arc-cosine recursion on DIR/x.npy to 1e-12:
   "residual": [dense W, residual {body: [relu, dense W]}, relu, dense 2]
   "mixed": [dense W, relu, residual {body: [dense W, relu, dense W],
   shortcut: [dense W]}, parallel {[relu, dense 2W], [dense W]} concat,
   dense 2]. A sum of uncorrelated branches adds their Sigma and Theta; a
   concat's are the channel-share weighted mean (2/3 and 1/3 here).
2. For each of the nets in DIR/nets (residual relu, residual gelu, mixed),
   ||Theta_emp - Theta_inf|| / ||Theta_inf|| (mean over the seeds) at the
   largest width is well below (< 0.5x) the one at the smallest: the empirical NTK
   of wide networks converges to the analytic kernel, like 1/sqrt(width).
"""
import sys

import numpy as np

folder = sys.argv[1]
W, B = 2 ** 0.5, 0.1
x = np.load(f"{folder}/x.npy")


def relu(sigma):
    """E[relu(u) relu(v)] and E[step(u) step(v)] for the covariance sigma."""
    scale = np.sqrt(np.diag(sigma))
    norms = np.outer(scale, scale)
    rho = np.clip(sigma / norms, -1.0, 1.0)
    np.fill_diagonal(rho, 1.0)
    angle = np.arccos(rho)
    return norms / (2 * np.pi) * (np.sin(angle) + (np.pi - angle) * rho), (np.pi - angle) / (2 * np.pi)


def dense(sigma, theta, act=False):
    """A dense layer on (sigma, theta), after a ReLU when `act`."""
    if act:
        e, d = relu(sigma)
        s = W ** 2 * e + B ** 2
        return s, s + W ** 2 * d * theta
    s = W ** 2 * sigma + B ** 2
    return s, s + W ** 2 * theta


def residual_net():
    s0 = W ** 2 * x @ x.T / x.shape[1] + B ** 2
    sb, tb = dense(s0, s0, act=True)
    return dense(s0 + sb, s0 + tb, act=True)


def mixed_net():
    s0 = W ** 2 * x @ x.T / x.shape[1] + B ** 2
    sb, tb = dense(*dense(s0, s0, act=True), act=True)
    ss, ts = dense(s0, s0, act=True)
    s1, t1 = sb + ss, tb + ts
    s2, t2 = dense(s1, t1, act=True)
    s3, t3 = dense(s1, t1)
    return dense(2 / 3 * s2 + 1 / 3 * s3, 2 / 3 * t2 + 1 / 3 * t3)


failures = []
for name, (sigma, theta) in (("residual", residual_net()), ("mixed", mixed_net())):
    for output, want in (("theta", theta), ("nngp", sigma)):
        got = np.load(f"{folder}/analytic-{name}-relu/{output}.npy")
        error = np.abs(got - want).max() / np.abs(want).max()
        print(f"{name}: analytic {output}.npy vs numpy recursion: max relative difference {error:.2e}")
        if not error < 1e-12:
            failures.append(f"{name}: analytic {output} differs from numpy by {error:.2e}")

for line in open(f"{folder}/nets"):
    net, widths, seeds = line.split()
    widths = [int(w) for w in widths.split(",")]
    analytic = np.load(f"{folder}/analytic-{net}/theta.npy")
    distances = np.array([[np.linalg.norm(np.load(f"{folder}/{net}-w{w}-s{seed}/theta.npy")
                                          - analytic) / np.linalg.norm(analytic)
                           for w in widths] for seed in seeds.split(",")])
    mean = distances.mean(axis=0)
    text = ", ".join(f"width {w}: {d:.4f}" for w, d in zip(widths, mean))
    ratio = mean[-1] / mean[0]
    print(f"{net}: ||Theta_emp - Theta_inf|| / ||Theta_inf||, mean over {len(distances)} seeds, "
          f"{text} (ratio {ratio:.3f}; 1/sqrt(width) predicts {np.sqrt(widths[0] / widths[-1]):.3f})")
    if not ratio < 0.5:
        failures.append(f"{net}: not closer to the analytic kernel at width {widths[-1]} ({text})")
if failures:
    sys.exit("\n".join(failures))
