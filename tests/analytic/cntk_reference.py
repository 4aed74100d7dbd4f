"""cntk_reference.py: an independent, deliberately simple reference for the
infinite-width NTK and NNGP kernels of conv nets (neural-tangents' stax, ntk
parameterisation; docs/analytic-conv.md), for the tests.

It shares nothing with ntkgram's recursion: every layer is a linear map on
the joint covariance of the two inputs over ALL pairs of positions (never
the diagonal shortcut), written with selection matrices:
  conv:  S_d[p, tap(p, d)] = 1 for each tap d (no entry in zero padding),
         K' = w^2 / q sum_d S_d K S_d^T + b^2 (the same tap on both sides)
  avg_pool: A = mean_d S_d, K' = A K A^T; global_avg_pool: A = ones / P
  flatten + dense: w^2 mean of the diagonal + b^2
and each activation maps every entry by its Gaussian expectation, with the
variances on the joint covariance's diagonal.

Usage as a module: kernels(x, layers, w_std, b_std) -> (theta, nngp) for
x of shape (N, H, W, C) or (N, L, C); layers as in model.layers
(parsed YAML)."""
import math

import numpy as np


def _window(shape_hw, kernel, stride, padding):
    """Selection matrices S_d (one per tap) and the output (H, W)."""
    h, w = shape_hw
    kh, kw = kernel
    sh, sw = stride
    if padding == "valid":
        ho, wo, top, left = (h - kh) // sh + 1, (w - kw) // sw + 1, 0, 0
    else:
        ho, wo, top, left = h, w, (kh - 1) // 2, (kw - 1) // 2
    taps = []
    for dy in range(kh):
        for dx in range(kw):
            s = np.zeros((ho * wo, h * w))
            for y in range(ho):
                for x in range(wo):
                    iy, ix = y * sh + dy - top, x * sw + dx - left
                    if padding == "circular":
                        iy, ix = iy % h, ix % w
                    if 0 <= iy < h and 0 <= ix < w:
                        s[y * wo + x, iy * w + ix] = 1.0
            taps.append(s)
    return taps, (ho, wo)


def _pair(option, key, default):
    value = option.get(key, default) if isinstance(option, dict) else default
    return (value, value) if isinstance(value, int) else tuple(value)


def _relu(s11, s12, s22):
    norms = np.sqrt(s11 * s22)
    rho = np.clip(s12 / norms, -1.0, 1.0)
    t = np.arccos(rho)
    return (norms / (2 * math.pi) * (np.sqrt(1 - rho**2) + (math.pi - t) * rho),
            (math.pi - t) / (2 * math.pi))


def _erf(s11, s12, s22):
    a = np.sqrt((1 + 2 * s11) * (1 + 2 * s22))
    return (2 / math.pi * np.arcsin(np.clip(2 * s12 / a, -1, 1)),
            4 / math.pi / np.sqrt(a**2 - 4 * s12**2))


def _identity(s11, s12, s22):
    return s12, np.ones_like(s12)


ACTIVATIONS = {"relu": _relu, "erf": _erf, "identity": _identity}


def pair_kernels(x1, x2, layers, w_std, b_std):
    """Theta(x1, x2) and Sigma(x1, x2) (mean over logits)."""
    one_d = x1.ndim == 2
    hw = (x1.shape[0], 1) if one_d else x1.shape[:2]
    c = x1.shape[-1]
    a = np.stack([x1.reshape(-1, c), x2.reshape(-1, c)])  # 2 x P x C
    p = a.shape[1]
    # joint covariance: K[i, :, j, :] between input i and input j
    k = np.einsum("ipc,jqc->ipjq", a, a) / c
    theta = np.zeros_like(k)
    w2, b2 = w_std**2, b_std**2
    for layer in layers:
        name = layer if isinstance(layer, str) else next(iter(layer))
        option = None if isinstance(layer, str) else layer[name]
        if name == "conv":
            kernel = _pair(option, "kernel", 1)
            if one_d:
                kernel = (kernel[0], 1)
            stride = _pair(option, "stride", 1)
            if one_d:
                stride = (stride[0], 1)
            taps, hw = _window(hw, kernel, stride, option.get("padding", "same"))
            q = len(taps)
            new_k = sum(np.einsum("ap,ipjq,bq->iajb", s, k, s) for s in taps) * w2 / q + b2
            new_t = sum(np.einsum("ap,ipjq,bq->iajb", s, theta, s) for s in taps) * w2 / q
            k, theta = new_k, new_k + new_t
        elif name == "avg_pool":
            if not isinstance(option, dict):
                option = {"window": option}  # {avg_pool: K} sets the window
            window = _pair(option, "window", None)
            stride = _pair(option, "stride", None) if "stride" in option else window
            if one_d:
                window, stride = (window[0], 1), (stride[0], 1)
            taps, hw = _window(hw, window, stride, "valid")
            avg = sum(taps) / len(taps)
            k = np.einsum("ap,ipjq,bq->iajb", avg, k, avg)
            theta = np.einsum("ap,ipjq,bq->iajb", avg, theta, avg)
        elif name == "global_avg_pool":
            k = k.mean(axis=(1, 3), keepdims=True)
            theta = theta.mean(axis=(1, 3), keepdims=True)
        elif name == "flatten":
            pass  # positions stay; the dense layer after it reads the diagonal
        elif name == "dense":
            if k.shape[1] > 1:
                diag_k = np.einsum("ipjp->ij", k) / k.shape[1]
                diag_t = np.einsum("ipjp->ij", theta) / k.shape[1]
            else:
                diag_k, diag_t = k[:, 0, :, 0], theta[:, 0, :, 0]
            new = w2 * diag_k + b2
            k, theta = new[:, None, :, None], (new + w2 * diag_t)[:, None, :, None]
        else:
            variance = np.einsum("ipip->ip", k)
            s11 = variance[:, :, None, None] + 0 * k
            s22 = variance[None, None, :, :] + 0 * k
            e_phi, e_dot = ACTIVATIONS[name](s11, k, s22)
            k, theta = e_phi, theta * e_dot
    # mean over the logits: matching positions of input 0 and input 1
    positions = k.shape[1]
    return (np.trace(theta[0, :, 1, :]) / positions, np.trace(k[0, :, 1, :]) / positions)


def kernels(x, layers, w_std, b_std):
    n = x.shape[0]
    theta, nngp = np.zeros((n, n)), np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            theta[i, j], nngp[i, j] = pair_kernels(x[i], x[j], layers, w_std, b_std)
    return theta, nngp
