"""PyTorch autograd reference for ntkgram's activations (sigmoid, softplus,
silu, leaky_relu, elu, abs).

  activations_torch.py DIR

For each case below, writes into DIR what tests/conv/torch_reference.py
writes (inputs, the nn.Sequential's state_dict, torch's f, Theta of both
parameterisations and both outputs from per-sample autograd gradients, the
model.layers line). Exit status 77 with a message when torch is missing.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from safetensors_f64 import write_safetensors  # noqa: E402

from torch_ntk import forward as ntk_forward, import_torch, jacobian as ntk_jacobian  # noqa: E402

torch = import_torch()
import torch.nn as nn  # noqa: E402

DIR = sys.argv[1]
W_STD, B_STD = 1.3, 0.4


def cases():
    """name -> (input shape, modules, ntkgram layers)."""
    torch.manual_seed(3)
    # Every new activation once, with non-default parameters where it has any.
    yield "mlp_all", (6, 5), nn.Sequential(
        nn.Linear(5, 7), nn.Sigmoid(), nn.Linear(7, 7), nn.Softplus(), nn.Linear(7, 7), nn.SiLU(),
        nn.Linear(7, 7), nn.LeakyReLU(0.2), nn.Linear(7, 7), nn.ELU(alpha=0.7),
        nn.Linear(7, 7), nn.Hardtanh(-1e9, 1e9), nn.Linear(7, 6), nn.Softplus(), nn.Linear(6, 3)), \
        "[{dense: 7}, sigmoid, {dense: 7}, softplus, {dense: 7}, silu, {dense: 7}, " \
        "{leaky_relu: 0.2}, {dense: 7}, {elu: {alpha: 0.7}}, {dense: 7}, abs, {dense: 6}, " \
        "softplus, {dense: 3}]"
    # Defaults (leaky_relu 0.01, elu alpha 1) after conv layers, abs too.
    yield "conv_defaults", (5, 6, 5, 2), nn.Sequential(
        nn.Conv2d(2, 4, 3, padding="same"), nn.LeakyReLU(), nn.Conv2d(4, 3, 3), nn.ELU(),
        nn.Conv2d(3, 3, 2, padding="same"), nn.Hardtanh(-1e9, 1e9), nn.Flatten(),
        nn.Linear(3 * 4 * 3, 2)), \
        "[{conv: {channels: 4, kernel: 3}}, leaky_relu, {conv: {channels: 3, kernel: 3, " \
        "padding: valid}}, elu, {conv: {channels: 3, kernel: 2}}, abs, flatten, {dense: 2}]"


class Abs(nn.Module):
    def forward(self, x):
        return torch.abs(x)


def swap_abs(net):
    """nn has no Abs module: the placeholders (Hardtanh) become torch.abs."""
    return nn.Sequential(*[Abs() if isinstance(m, nn.Hardtanh) else m for m in net])


def forward(net, x, scaled):
    return ntk_forward(net, x, scaled, W_STD, B_STD)


def jacobian(net, x, scaled):
    return ntk_jacobian(net, x, scaled, W_STD, B_STD)


for name, shape, net, layers in cases():
    net = swap_abs(net).double()
    x = 3.0 * torch.randn(*shape)
    np.save(os.path.join(DIR, name + ".npy"), x.numpy())
    write_safetensors(os.path.join(DIR, name + ".safetensors"),
                      [(k, v.detach().numpy()) for k, v in net.state_dict().items()])
    with open(os.path.join(DIR, name + ".layers"), "w") as f:
        f.write(layers + "\n")
    with torch.no_grad():
        np.save(os.path.join(DIR, name + "_f.npy"), forward(net, x, False).numpy())
    for param in ("standard", "ntk"):
        J, k = jacobian(net, x, param == "ntk")
        full = (J @ J.T).detach().numpy()
        n = x.shape[0]
        np.save(os.path.join(DIR, f"{name}_{param}_full.npy"), full)
        np.save(os.path.join(DIR, f"{name}_{param}_trace.npy"),
                full.reshape(n, k, n, k).trace(axis1=1, axis2=3) / k)
    print(f"{name}: {sum(p.numel() for p in net.parameters())} parameters, k = {k}")
