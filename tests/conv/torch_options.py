"""PyTorch autograd reference for torch's geometry options in ntkgram:
bias=False on dense and conv layers, integer or pair padding (zeros on
both sides, any stride) on conv and avg_pool, and max_pool.

  torch_options.py DIR

Writes into DIR, per case, what tests/conv/torch_reference.py writes (inputs,
the nn.Sequential's state_dict, torch's f, Theta of both parameterisations and
both outputs, the model.layers line). Exit status 77 when torch is missing.
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
    torch.manual_seed(17)
    yield "mlp_bias_false", (6, 5), nn.Sequential(
        nn.Linear(5, 6, bias=False), nn.Tanh(), nn.Linear(6, 6), nn.ReLU(),
        nn.Linear(6, 2, bias=False)), \
        "[{dense: {width: 6, bias: false}}, tanh, {dense: 6}, relu, " \
        "{dense: {width: 2, bias: false}}]"
    # The ResNet stem's downsampling: 3x3, stride 2, padding 1, no bias; an
    # uneven pair; avg_pool with padding (count_include_pad, as torch).
    yield "conv2d_padding", (4, 9, 8, 3), nn.Sequential(
        nn.Conv2d(3, 4, 3, stride=2, padding=1, bias=False), nn.ReLU(),
        nn.Conv2d(4, 4, (3, 2), stride=(1, 2), padding=(1, 2)), nn.ReLU(),
        nn.AvgPool2d(3, stride=2, padding=1), nn.Flatten(), nn.Linear(4 * 3 * 2, 2)), \
        "[{conv: {channels: 4, kernel: 3, stride: 2, padding: 1, bias: false}}, relu, " \
        "{conv: {channels: 4, kernel: [3, 2], stride: [1, 2], padding: [1, 2]}}, relu, " \
        "{avg_pool: {window: 3, stride: 2, padding: 1}}, flatten, {dense: 2}]"
    yield "conv1d_padding", (5, 9, 2), nn.Sequential(
        nn.Conv1d(2, 3, 3, stride=2, padding=2), nn.Tanh(), nn.AvgPool1d(2, padding=1),
        nn.Flatten(), nn.Linear(3 * 4, 2, bias=False)), \
        "[{conv: {channels: 3, kernel: 3, stride: 2, padding: 2}}, tanh, " \
        "{avg_pool: {window: 2, padding: 1}}, flatten, {dense: {width: 2, bias: false}}]"


def max_pool_cases():
    """max_pool (window, stride, padding as torch), 2-D and 1-D."""
    torch.manual_seed(29)
    yield "conv2d_max_pool", (4, 9, 8, 2), nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1), nn.Tanh(), nn.MaxPool2d(3, stride=2, padding=1),
        nn.Conv2d(4, 3, 2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(3 * 2 * 1, 2)), \
        "[{conv: {channels: 4, kernel: 3, padding: 1}}, tanh, {max_pool: {window: 3, stride: 2, " \
        "padding: 1}}, {conv: {channels: 3, kernel: 2, padding: valid}}, relu, {max_pool: 2}, " \
        "flatten, {dense: 2}]"
    yield "conv1d_max_pool", (5, 9, 2), nn.Sequential(
        nn.Conv1d(2, 3, 3, padding=1), nn.Tanh(), nn.MaxPool1d(3, stride=2, padding=1),
        nn.Flatten(), nn.Linear(3 * 5, 2)), \
        "[{conv: {channels: 3, kernel: 3, padding: 1}}, tanh, {max_pool: {window: 3, stride: 2, " \
        "padding: 1}}, flatten, {dense: 2}]"


def forward(net, x, scaled):
    return ntk_forward(net, x, scaled, W_STD, B_STD)


def jacobian(net, x, scaled):
    return ntk_jacobian(net, x, scaled, W_STD, B_STD)


import itertools  # noqa: E402
for name, shape, net, layers in itertools.chain(cases(), max_pool_cases()):
    net = net.double()
    x = torch.randn(*shape)
    np.save(os.path.join(DIR, name + ".npy"), x.numpy())
    write_safetensors(os.path.join(DIR, name + ".safetensors"),
                      [(k, v.detach().numpy()) for k, v in net.state_dict().items()])
    with open(os.path.join(DIR, name + ".layers"), "w") as f:
        f.write(layers + "\n")
    with open(os.path.join(DIR, name + ".count"), "w") as f:
        f.write(f"{sum(p.numel() for p in net.parameters())}\n")
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
