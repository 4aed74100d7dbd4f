"""The PyTorch side of the empirical-NTK references: the forward pass of an
nn.Sequential on channels-last inputs as ntkgram lays them out, with the ntk
parameterisation's scaling when asked, and the Jacobian of every output with
respect to every parameter by autograd, one row per (input, output).

import_torch() exits with 77 (ctest's skip code, with a message) when
python3-torch is missing, so each reference script starts with it.
"""
import math
import sys


def import_torch():
    try:
        import torch  # noqa: F401
    except ImportError:
        print("SKIPPED: PyTorch (python3-torch) is not installed; the autograd reference cannot run")
        sys.exit(77)
    import torch
    torch.set_default_dtype(torch.float64)
    return torch


def forward(net, x, scaled, w_std, b_std):
    """f(x) for channels-last x (N, [H, W,] C), torch's channels-first inside;
    with `scaled`, each dense/conv layer's weights times w_std / sqrt(fan_in)
    and biases times b_std (ntkgram's ntk parameterisation)."""
    import torch.nn as nn
    import torch.nn.functional as F
    h = x.permute(0, 3, 1, 2) if x.dim() == 4 else (x.permute(0, 2, 1) if x.dim() == 3 else x)
    for m in net:
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Linear)) and scaled:
            fan_in = m.weight[0].numel()
            w = m.weight * (w_std / math.sqrt(fan_in))
            b = m.bias * b_std if m.bias is not None else None
            h = F.linear(h, w, b) if isinstance(m, nn.Linear) else m._conv_forward(h, w, b)
        else:
            h = m(h)
    return h


def jacobian(net, x, scaled, w_std, b_std):
    """(J, k): J has one row per (input, output), in that order, and one
    column per parameter in net.parameters() order; k outputs."""
    import torch
    params = list(net.parameters())
    rows = []
    for xi in x:
        f = forward(net, xi[None], scaled, w_std, b_std)[0]
        for o in range(f.shape[0]):
            grads = torch.autograd.grad(f[o], params, retain_graph=True)
            rows.append(torch.cat([g.reshape(-1) for g in grads]))
    return torch.stack(rows), f.shape[0]
