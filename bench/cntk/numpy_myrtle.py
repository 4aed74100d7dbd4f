"""The straightforward vectorised numpy recursion of a Myrtle kernel
(neural-tangents' definition: 3x3 same convolutions and relu, 2x2 average
pools, flatten, dense; w_std = sqrt(2), no bias), one pair of images at a
time, every pair of positions as a (H, W, H, W) array: the baseline of
bench/cntk/run. Each input's variances (the diagonal of its own recursion)
are computed once, as ntkgram does.

    numpy_myrtle.py IMAGES.npy DEPTH PAIRS THETA.npy NNGP.npy

times the first PAIRS pairs (i, j), i <= j, of the images in row order,
checks them against ntkgram's theta.npy and nngp.npy of the same images
(relative difference printed), and prints the wall and CPU seconds per
pair (the inputs' own recursions counted as pairs, as ntkgram's).
"""
import sys
import time

import numpy as np

LAYER_FACTOR = {5: [2, 1, 1], 7: [2, 2, 2], 10: [3, 3, 3]}
W2 = 2.0


def layers(depth):
    f = LAYER_FACTOR[depth]
    out = ["conv", "relu"] * f[0] + ["pool"] + ["conv", "relu"] * f[1] + ["pool"]
    return out + ["conv", "relu"] * f[2] + ["pool"] * 3


def conv(t):
    h, w = t.shape[:2]
    padded = np.pad(t, 1)
    total = np.zeros_like(t)
    for dy in range(3):
        for dx in range(3):
            total += padded[dy:dy + h, dx:dx + w, dy:dy + h, dx:dx + w]
    return total / 9.0


def pool(t):
    h, w = t.shape[:2]
    return t.reshape(h // 2, 2, w // 2, 2, h // 2, 2, w // 2, 2).mean(axis=(1, 3, 5, 7))


def relu(sigma, theta, var1, var2):
    product = np.sqrt(var1[:, :, None, None] * var2[None, None, :, :])
    rho = np.clip(sigma / product, -1.0, 1.0)
    angle = np.arccos(rho)
    t = product / (2 * np.pi) * (np.sqrt(1.0 - rho * rho) + (np.pi - angle) * rho)
    return t, theta * (np.pi - angle) / (2 * np.pi)


def recursion(depth, x1, x2, vars1=None, vars2=None):
    """Theta and NNGP of (x1, x2); with vars None, the self recursion
    (x1 is x2), returning the variances at each relu."""
    h, w, c = x1.shape
    sigma = (x1.reshape(h * w, c) @ x2.reshape(h * w, c).T / c).reshape(h, w, h, w)
    theta = None
    recorded, k = [], 0
    for layer in layers(depth):
        if layer == "conv":
            new_sigma = W2 * conv(sigma)
            theta = new_sigma if theta is None else new_sigma + W2 * conv(theta)
            sigma = new_sigma
        elif layer == "relu":
            if vars1 is None:
                hh, ww = sigma.shape[:2]
                var = np.diagonal(sigma.reshape(hh * ww, hh * ww)).reshape(hh, ww).copy()
                recorded.append(var)
                sigma, theta = relu(sigma, theta, var, var)
            else:
                sigma, theta = relu(sigma, theta, vars1[k], vars2[k])
            k += 1
        else:
            sigma, theta = pool(sigma), pool(theta)
    # flatten + dense over the one remaining position
    nngp = W2 * sigma.reshape(-1)[0]
    return nngp + W2 * theta.reshape(-1)[0], nngp, recorded


def main():
    images = np.load(sys.argv[1])
    depth, count = int(sys.argv[2]), int(sys.argv[3])
    theta_ref, nngp_ref = np.load(sys.argv[4]), np.load(sys.argv[5])
    n = images.shape[0]
    pairs = [(i, j) for i in range(n) for j in range(i, n)][:count]
    used = sorted({i for pair in pairs for i in pair})
    start, cpu_start = time.perf_counter(), time.process_time()
    variances = {i: recursion(depth, images[i], images[i])[2] for i in used}
    results = [recursion(depth, images[i], images[j], variances[i], variances[j])[:2]
               for i, j in pairs]
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    worst = max(max(abs(t - theta_ref[i, j]) / abs(theta_ref[i, j]),
                    abs(s - nngp_ref[i, j]) / abs(nngp_ref[i, j]))
                for (i, j), (t, s) in zip(pairs, results))
    print(f"numpy_pairs {len(pairs)} (and {len(used)} self recursions)")
    print(f"numpy_max_relative_difference_to_ntkgram {worst:.3g}")
    print(f"numpy_seconds_per_pair {seconds / (len(pairs) + len(used)):.6f}")
    print(f"numpy_cpu_seconds_per_pair {cpu / (len(pairs) + len(used)):.6f}")


if __name__ == "__main__":
    main()
