"""PyTorch autograd reference for ntkgram's conv networks.

  torch_reference.py DIR

For each case below, writes into DIR:
  <case>.npy                 inputs, channels last (N, H, W, C) or (N, L, C)
  <case>.safetensors         the nn.Sequential's state_dict (F64), unchanged
  <case>_f.npy               torch's f on x.permute(0, 3, 1, 2) (N, k), standard
                             parameterisation: the targets of the job, so a run's
                             residual f_0 - y is zero iff ntkgram's f is torch's
  <case>_<param>_<outputs>.npy   Theta from per-sample autograd gradients
                             (full: J J^T with rows x k + o; trace: the mean over
                             logits of the per-logit Grams)
  <case>.layers              the ntkgram model.layers line
Both parameterisations: standard is the modules as they are; ntk scales each
layer's weight by w_std / sqrt(fan_in) and bias by b_std in the forward pass
(torch's own _conv_forward / linear with the scaled tensors, so padding modes
are torch's). Exit status 77 with a message when torch is missing.
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
    """name -> (input shape (N, spatial..., C), modules, ntkgram layers)."""
    g = torch.Generator().manual_seed(5)
    torch.manual_seed(11)
    yield "conv2d_flatten", (5, 8, 7, 2), nn.Sequential(
        nn.Conv2d(2, 4, 3, padding="same"), nn.ReLU(),
        nn.Conv2d(4, 3, (2, 3), stride=2), nn.Tanh(),
        nn.AvgPool2d(2), nn.Flatten(), nn.Linear(3 * 2 * 1, 3)), \
        "[{conv: {channels: 4, kernel: 3}}, relu, {conv: {channels: 3, kernel: [2, 3], stride: 2, " \
        "padding: valid}}, tanh, {avg_pool: 2}, flatten, {dense: 3}]"
    yield "conv2d_circular_gap", (4, 6, 5, 3), nn.Sequential(
        nn.Conv2d(3, 5, (2, 3), padding="same", padding_mode="circular"), nn.ReLU(),
        nn.Conv2d(5, 4, 2, padding="same"), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2)), \
        "[{conv: {channels: 5, kernel: [2, 3], padding: circular}}, relu, " \
        "{conv: {channels: 4, kernel: 2}}, relu, global_avg_pool, {dense: 2}]"
    yield "conv1d_pool", (5, 9, 3), nn.Sequential(
        nn.Conv1d(3, 4, 3, padding="same"), nn.ReLU(),
        nn.Conv1d(4, 4, 2, stride=2), nn.ReLU(),
        nn.AvgPool1d(2, stride=1), nn.Flatten(), nn.Linear(4 * 3, 2), nn.ReLU(), nn.Linear(2, 2)), \
        "[{conv: {channels: 4, kernel: 3}}, relu, {conv: {channels: 4, kernel: 2, stride: 2, " \
        "padding: valid}}, relu, {avg_pool: {window: 2, stride: 1}}, flatten, {dense: 2}, relu, {dense: 2}]"
    # Small maps: the structured kernel takes the pairwise form for the last
    # two conv layers (2 x 2 and 1 x 1 positions), the Jacobian block for the first.
    yield "conv2d_pairwise", (5, 6, 6, 2), nn.Sequential(
        nn.Conv2d(2, 16, 3, padding="same"), nn.ReLU(), nn.AvgPool2d(3),
        nn.Conv2d(16, 16, 2, padding="same"), nn.ReLU(),
        nn.Conv2d(16, 4, 2), nn.Flatten(), nn.Linear(4, 2)), \
        "[{conv: {channels: 16, kernel: 3}}, relu, {avg_pool: 3}, {conv: {channels: 16, kernel: 2}}, " \
        "relu, {conv: {channels: 4, kernel: 2, padding: valid}}, flatten, {dense: 2}]"
    net = nn.Sequential(nn.Conv1d(3, 3, 3, padding="same", padding_mode="circular", bias=False),
                        nn.Tanh(), nn.Conv1d(3, 2, 3, bias=False), nn.AdaptiveAvgPool1d(1),
                        nn.Flatten(), nn.Linear(2, 2, bias=False))
    yield "conv1d_nobias", (4, 7, 3), net, \
        "[{conv: {channels: 3, kernel: 3, padding: circular}}, tanh, {conv: {channels: 2, " \
        "kernel: 3, padding: valid}}, global_avg_pool, {dense: 2}]"


def forward(net, x, scaled):
    return ntk_forward(net, x, scaled, W_STD, B_STD)


def jacobian(net, x, scaled):
    return ntk_jacobian(net, x, scaled, W_STD, B_STD)


for name, shape, net, layers in cases():
    net = net.double()
    x = torch.randn(*shape)
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
        trace = full.reshape(n, k, n, k).trace(axis1=1, axis2=3) / k
        np.save(os.path.join(DIR, f"{name}_{param}_full.npy"), full)
        np.save(os.path.join(DIR, f"{name}_{param}_trace.npy"), trace)
    print(f"{name}: {sum(p.numel() for p in net.parameters())} parameters, k = {k}")
