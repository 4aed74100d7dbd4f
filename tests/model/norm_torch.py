"""PyTorch autograd reference for ntkgram's normalisation layers
(layer_norm, batch_norm in evaluation mode).

  norm_torch.py DIR

For each case below, writes into DIR the inputs, the nn.Sequential's
state_dict (BatchNorm's running statistics and num_batches_tracked
included), torch's f, Theta of both parameterisations and both outputs
from per-sample autograd gradients, and the model.layers line. gamma, beta
and the running statistics are drawn away from their initial values so
that every term is exercised. Exit status 77 with a message when torch is
missing.
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
    torch.manual_seed(5)
    # An MLP with LayerNorm before and after activations, one with its own eps.
    yield "mlp_layer_norm", (6, 5), nn.Sequential(
        nn.Linear(5, 8), nn.LayerNorm(8), nn.ReLU(), nn.Linear(8, 7), nn.GELU(),
        nn.LayerNorm(7, eps=1e-3), nn.Linear(7, 3)), \
        "[{dense: 8}, layer_norm, relu, {dense: 7}, gelu, {layer_norm: {eps: 0.001}}, {dense: 3}]"
    # A conv net with eval-mode BatchNorm2d (one after a conv without bias,
    # one with its own eps) and BatchNorm1d on flat values.
    yield "conv_batch_norm", (5, 6, 5, 2), nn.Sequential(
        nn.Conv2d(2, 4, 3, padding="same"), nn.BatchNorm2d(4), nn.ReLU(),
        nn.Conv2d(4, 3, 3, bias=False), nn.BatchNorm2d(3, eps=1e-3), nn.Tanh(), nn.Flatten(),
        nn.Linear(3 * 4 * 3, 6), nn.BatchNorm1d(6), nn.SiLU(), nn.Linear(6, 2)), \
        "[{conv: {channels: 4, kernel: 3}}, batch_norm, relu, {conv: {channels: 3, kernel: 3, " \
        "padding: valid, bias: false}}, {batch_norm: {eps: 0.001}}, tanh, flatten, {dense: 6}, " \
        "batch_norm, silu, {dense: 2}]"


def randomise(net):
    """gamma, beta and the running statistics away from 1, 0, 0, 1."""
    with torch.no_grad():
        for m in net:
            if isinstance(m, (nn.LayerNorm, nn.BatchNorm1d, nn.BatchNorm2d)):
                m.weight.copy_(1.0 + 0.5 * torch.randn_like(m.weight))
                m.bias.copy_(0.3 * torch.randn_like(m.bias))
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                m.running_mean.copy_(0.4 * torch.randn_like(m.running_mean))
                m.running_var.copy_(0.3 + torch.rand_like(m.running_var))
                m.num_batches_tracked.fill_(17)
    return net.eval()


for name, shape, net, layers in cases():
    net = randomise(net.double())
    x = 2.0 * torch.randn(*shape)
    np.save(os.path.join(DIR, name + ".npy"), x.numpy())
    write_safetensors(os.path.join(DIR, name + ".safetensors"),
                      [(k, v.detach().numpy()) for k, v in net.state_dict().items()])
    with open(os.path.join(DIR, name + ".layers"), "w") as f:
        f.write(layers + "\n")
    with torch.no_grad():
        np.save(os.path.join(DIR, name + "_f.npy"), ntk_forward(net, x, False, W_STD, B_STD).numpy())
    for param in ("standard", "ntk"):
        J, k = ntk_jacobian(net, x, param == "ntk", W_STD, B_STD)
        full = (J @ J.T).detach().numpy()
        n = x.shape[0]
        np.save(os.path.join(DIR, f"{name}_{param}_full.npy"), full)
        np.save(os.path.join(DIR, f"{name}_{param}_trace.npy"),
                full.reshape(n, k, n, k).trace(axis1=1, axis2=3) / k)
    print(f"{name}: {sum(p.numel() for p in net.parameters())} parameters, k = {k}")
