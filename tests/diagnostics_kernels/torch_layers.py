"""PyTorch autograd reference for ntkgram's per-layer kernels Theta_l.

  torch_layers.py DIR

For each case (a dense MLP and a conv net), writes into DIR:
  <case>.npy              inputs, channels last for the conv net
  <case>_y.npy            targets (N, k)
  <case>.safetensors      the nn.Sequential's state_dict (F64)
  <case>.layers           the ntkgram model.layers line
  <case>_<outputs>_layer<l>.npy   Theta_l: J_l J_l^T over the Jacobian columns of
                          the l-th layer with parameters (its weight and bias)
                          alone, ntk parameterisation (w_std 1.3, b_std 0.4);
                          full: rows x k + o; trace: the mean over logits
Exit status 77 with a message when torch is missing.
"""
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from safetensors_f64 import write_safetensors  # noqa: E402

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    print("SKIPPED: PyTorch (python3-torch) is not installed; the autograd reference cannot run")
    sys.exit(77)

DIR = sys.argv[1]
W_STD, B_STD = 1.3, 0.4
torch.set_default_dtype(torch.float64)


def cases():
    torch.manual_seed(23)
    yield "mlp", (13, 4), nn.Sequential(
        nn.Linear(4, 7), nn.ReLU(), nn.Linear(7, 6), nn.Tanh(), nn.Linear(6, 5), nn.ReLU(),
        nn.Linear(5, 3)), "[{dense: 7}, relu, {dense: 6}, tanh, {dense: 5}, relu, {dense: 3}]"
    yield "cnn", (7, 6, 5, 2), nn.Sequential(
        nn.Conv2d(2, 4, 3, padding="same"), nn.ReLU(),
        nn.Conv2d(4, 3, (2, 3), stride=(2, 1)), nn.Tanh(),
        nn.AvgPool2d(2, stride=1), nn.Flatten(), nn.Linear(3 * 2 * 2, 5), nn.ReLU(),
        nn.Linear(5, 2)), \
        "[{conv: {channels: 4, kernel: 3}}, relu, {conv: {channels: 3, kernel: [2, 3], " \
        "padding: valid, stride: [2, 1]}}, tanh, {avg_pool: {window: 2, stride: 1}}, flatten, " \
        "{dense: 5}, relu, {dense: 2}]"


def forward(net, x):
    """f(x), ntk parameterisation, channels-last x."""
    if x.dim() == 4:
        h = x.permute(0, 3, 1, 2)
    else:
        h = x
    for m in net:
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            fan_in = m.weight[0].numel()
            w = m.weight * (W_STD / math.sqrt(fan_in))
            b = m.bias * B_STD
            h = F.linear(h, w, b) if isinstance(m, nn.Linear) else m._conv_forward(h, w, b)
        else:
            h = m(h)
    return h


for name, shape, net, layers in cases():
    net = net.double()
    x = torch.randn(*shape)
    np.save(os.path.join(DIR, name + ".npy"), x.numpy())
    write_safetensors(os.path.join(DIR, name + ".safetensors"),
                      [(k, v.detach().numpy()) for k, v in net.state_dict().items()])
    with open(os.path.join(DIR, name + ".layers"), "w") as f:
        f.write(layers + "\n")
    modules = [m for m in net if isinstance(m, (nn.Conv2d, nn.Linear))]
    rows = {l: [] for l in range(len(modules))}
    k = None
    for xi in x:
        f = forward(net, xi[None])[0]
        k = f.shape[0]
        for o in range(k):
            for l, m in enumerate(modules):
                gw, gb = torch.autograd.grad(f[o], [m.weight, m.bias], retain_graph=True)
                rows[l].append(torch.cat([gw.reshape(-1), gb.reshape(-1)]))
    n = x.shape[0]
    y = np.sin(np.arange(n * k, dtype=float).reshape(n, k) * 0.7 + 0.3)
    np.save(os.path.join(DIR, name + "_y.npy"), y)
    for l in range(len(modules)):
        J = torch.stack(rows[l])
        full = (J @ J.T).detach().numpy()
        trace = full.reshape(n, k, n, k).trace(axis1=1, axis2=3) / k
        np.save(os.path.join(DIR, f"{name}_full_layer{l + 1}.npy"), full)
        np.save(os.path.join(DIR, f"{name}_trace_layer{l + 1}.npy"), trace)
    print(f"{name}: {len(modules)} layers with parameters, k = {k}")
