"""PyTorch autograd reference for residual and parallel blocks in ntkgram.

  torch_branches.py DIR

Per case, into DIR: the inputs, the state_dict as safetensors (in
state_dict order: a block's body before its shortcut, branches in order,
which is ntkgram's order of unnamed layers), torch's f, Theta of both
parameterisations and both outputs, and the model.layers line. The modules
are torch's own (nn.Sequential, Linear, Conv2d) inside two small block
modules: Residual (body(x) + shortcut(x), identity without a shortcut) and
Parallel (torch.cat on the channel axis, or the sum). Exit status 77 when
torch is missing.
"""
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from safetensors_f64 import write_safetensors  # noqa: E402
from torch_ntk import import_torch  # noqa: E402

torch = import_torch()
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

DIR = sys.argv[1]
W_STD, B_STD = 1.3, 0.4


class Residual(nn.Module):
    def __init__(self, body, shortcut=None):
        super().__init__()
        self.body = body
        self.shortcut = shortcut if shortcut is not None else nn.Sequential()


class Parallel(nn.Module):
    def __init__(self, merge, *branches):
        super().__init__()
        self.merge = merge
        self.branches = nn.ModuleList(branches)


def forward(m, h, scaled):
    """The module on channels-first h, each Linear/Conv's weights times
    w_std / sqrt(fan_in) and biases times b_std when `scaled` (ntk)."""
    if isinstance(m, nn.Sequential):
        for child in m:
            h = forward(child, h, scaled)
        return h
    if isinstance(m, Residual):
        return forward(m.body, h, scaled) + forward(m.shortcut, h, scaled)
    if isinstance(m, Parallel):
        outs = [forward(b, h, scaled) for b in m.branches]
        return torch.cat(outs, dim=1) if m.merge == "concat" else sum(outs)
    if isinstance(m, (nn.Linear, nn.Conv2d)) and scaled:
        w = m.weight * (W_STD / math.sqrt(m.weight[0].numel()))
        b = m.bias * B_STD if m.bias is not None else None
        return F.linear(h, w, b) if isinstance(m, nn.Linear) else m._conv_forward(h, w, b)
    return m(h)


def channels_first(x):
    return x.permute(0, 3, 1, 2) if x.dim() == 4 else x


def cases():
    torch.manual_seed(5)
    yield "mlp_identity", (6, 5), nn.Sequential(
        nn.Linear(5, 6), nn.ReLU(),
        Residual(nn.Sequential(nn.Linear(6, 6), nn.Tanh(), nn.Linear(6, 6))), nn.ReLU(),
        nn.Linear(6, 2)), \
        "[{dense: 6}, relu, {residual: {body: [{dense: 6}, tanh, {dense: 6}]}}, relu, {dense: 2}]"
    yield "mlp_dense_shortcut", (6, 5), nn.Sequential(
        nn.Linear(5, 6), nn.GELU(),
        Residual(nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 4)),
                 nn.Sequential(nn.Linear(6, 4, bias=False))),
        Residual(nn.Sequential(nn.Linear(4, 4), nn.Tanh())),
        nn.Linear(4, 2)), \
        "[{dense: 6}, gelu, {residual: {body: [{dense: 4}, relu, {dense: 4}], " \
        "shortcut: [{dense: {width: 4, bias: false}}]}}, " \
        "{residual: {body: [{dense: 4}, tanh]}}, {dense: 2}]"
    # A ResNet BasicBlock with a downsampling shortcut (conv 1x1 stride 2,
    # no bias), written with torch's names (weights by name).
    yield "conv_block", (4, 8, 8, 3), nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(),
        Residual(nn.Sequential(nn.Conv2d(4, 6, 3, stride=2, padding=1, bias=False), nn.ReLU(),
                               nn.Conv2d(6, 6, 3, padding=1, bias=False)),
                 nn.Sequential(nn.Conv2d(4, 6, 1, stride=2, bias=False))),
        nn.ReLU(), nn.Flatten(), nn.Linear(6 * 4 * 4, 2)), \
        "[{conv: {channels: 4, kernel: 3, padding: 1, name: '0'}}, relu, " \
        "{residual: {body: [{conv: {channels: 6, kernel: 3, stride: 2, padding: 1, bias: false, " \
        "name: 2.body.0}}, relu, {conv: {channels: 6, kernel: 3, padding: 1, bias: false, " \
        "name: 2.body.2}}], shortcut: [{conv: {channels: 6, kernel: 1, stride: 2, " \
        "padding: valid, bias: false, name: 2.shortcut.0}}]}}, relu, flatten, " \
        "{dense: {width: 2, name: '5'}}]"
    yield "mlp_concat", (6, 5), nn.Sequential(
        nn.Linear(5, 6), nn.Tanh(),
        Parallel("concat", nn.Sequential(nn.Linear(6, 3), nn.ReLU()), nn.Sequential(),
                 nn.Sequential(nn.Linear(6, 2))),
        nn.Linear(11, 2)), \
        "[{dense: 6}, tanh, {parallel: {branches: [[{dense: 3}, relu], [], [{dense: 2}]], " \
        "merge: concat}}, {dense: 2}]"
    yield "conv_concat", (4, 6, 5, 2), nn.Sequential(
        nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(),
        Parallel("concat", nn.Sequential(nn.Conv2d(3, 2, 1)),
                 nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.Tanh(),
                               Residual(nn.Sequential(nn.Conv2d(4, 4, 3, padding=1))))),
        nn.Flatten(), nn.Linear(6 * 6 * 5, 2)), \
        "[{conv: {channels: 3, kernel: 3, padding: 1}}, relu, {parallel: {branches: " \
        "[[{conv: {channels: 2, kernel: 1}}], [{conv: {channels: 4, kernel: 3, padding: 1}}, " \
        "tanh, {residual: {body: [{conv: {channels: 4, kernel: 3, padding: 1}}]}}]], " \
        "merge: concat}}, flatten, {dense: 2}]"
    yield "mlp_sum", (6, 5), nn.Sequential(
        nn.Linear(5, 6), nn.ReLU(),
        Parallel("sum", nn.Sequential(nn.Linear(6, 4)),
                 nn.Sequential(nn.Linear(6, 4), nn.Tanh(), nn.Linear(4, 4)),
                 nn.Sequential(nn.Linear(6, 4, bias=False), nn.GELU())),
        nn.Linear(4, 2)), \
        "[{dense: 6}, relu, {parallel: {branches: [[{dense: 4}], [{dense: 4}, tanh, {dense: 4}], " \
        "[{dense: {width: 4, bias: false}}, gelu]], merge: sum}}, {dense: 2}]"


def jacobian(net, x, scaled):
    params = list(net.parameters())
    rows = []
    for xi in x:
        f = forward(net, channels_first(xi[None]), scaled)[0]
        for o in range(f.shape[0]):
            grads = torch.autograd.grad(f[o], params, retain_graph=True)
            rows.append(torch.cat([g.reshape(-1) for g in grads]))
    return torch.stack(rows), f.shape[0]


for name, shape, net, layers in cases():
    net = net.double()
    x = torch.randn(*shape)
    np.save(os.path.join(DIR, name + ".npy"), x.numpy())
    write_safetensors(os.path.join(DIR, name + ".safetensors"),
                      [(k, v.detach().numpy()) for k, v in net.state_dict().items()])
    with open(os.path.join(DIR, name + ".layers"), "w") as f:
        f.write(layers + "\n")
    with torch.no_grad():
        np.save(os.path.join(DIR, name + "_f.npy"),
                forward(net, channels_first(x), False).numpy())
    for param in ("standard", "ntk"):
        J, k = jacobian(net, x, param == "ntk")
        full = (J @ J.T).detach().numpy()
        n = x.shape[0]
        np.save(os.path.join(DIR, f"{name}_{param}_full.npy"), full)
        np.save(os.path.join(DIR, f"{name}_{param}_trace.npy"),
                full.reshape(n, k, n, k).trace(axis1=1, axis2=3) / k)
    print(f"{name}: {sum(p.numel() for p in net.parameters())} parameters, k = {k}")
