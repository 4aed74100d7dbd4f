"""Full-batch gradient descent on conv networks in PyTorch, the reference for
ntkgram's training of them (conv_training.sh).

  conv_torch_training.py DIR STEPS LEARNING_RATE

For each case writes into DIR: <case>.npy (inputs, channels last),
<case>_y.npy (targets), <case>.safetensors (the nn.Sequential's state_dict,
F64, loaded by ntkgram unchanged with parameterization: standard),
<case>.layers (ntkgram's model.layers) and <case>_loss.npy: the loss
1/(2 N k) sum (f - y)^2 at steps 0..STEPS of p <- p - eta dL/dp, by autograd
on x.permute(0, 3, 1, 2). Exit status 77 with a message when torch is missing.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from safetensors_f64 import write_safetensors  # noqa: E402

try:
    import torch
    import torch.nn as nn
except ImportError:
    print("SKIPPED: PyTorch (python3-torch) is not installed; the training reference cannot run")
    sys.exit(77)

DIR, STEPS, ETA = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
torch.set_default_dtype(torch.float64)


def cases():
    """name -> (input shape, modules, ntkgram layers)."""
    torch.manual_seed(13)
    yield "conv2d", (12, 6, 5, 2), nn.Sequential(
        nn.Conv2d(2, 4, 3, padding="same"), nn.Tanh(),
        nn.Conv2d(4, 3, (2, 3), stride=2), nn.Tanh(),
        nn.AvgPool2d(2, stride=1), nn.Flatten(), nn.Linear(3 * 1 * 2, 2)), \
        "[{conv: {channels: 4, kernel: 3}}, tanh, {conv: {channels: 3, kernel: [2, 3], " \
        "stride: 2, padding: valid}}, tanh, {avg_pool: {window: 2, stride: 1}}, flatten, {dense: 2}]"
    yield "conv1d", (10, 9, 3), nn.Sequential(
        nn.Conv1d(3, 4, 3, padding="same", padding_mode="circular"), nn.Tanh(),
        nn.Conv1d(4, 3, 2, stride=2, bias=False), nn.AdaptiveAvgPool1d(1), nn.Flatten(),
        nn.Linear(3, 2)), \
        "[{conv: {channels: 4, kernel: 3, padding: circular}}, tanh, {conv: {channels: 3, " \
        "kernel: 2, stride: 2, padding: valid}}, global_avg_pool, {dense: 2}]"


for name, shape, net, layers in cases():
    net = net.double()
    x = torch.randn(*shape)
    y = torch.randn(shape[0], 2)
    np.save(os.path.join(DIR, name + ".npy"), x.numpy())
    np.save(os.path.join(DIR, name + "_y.npy"), y.numpy())
    write_safetensors(os.path.join(DIR, name + ".safetensors"),
                      [(k, v.detach().numpy()) for k, v in net.state_dict().items()])
    with open(os.path.join(DIR, name + ".layers"), "w") as f:
        f.write(layers + "\n")
    h = x.permute(0, 3, 1, 2) if x.dim() == 4 else x.permute(0, 2, 1)
    losses = []
    for step in range(STEPS + 1):
        net.zero_grad()
        loss = 0.5 * ((net(h) - y) ** 2).mean()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            for p in net.parameters():
                p -= ETA * p.grad
    np.save(os.path.join(DIR, name + "_loss.npy"), np.array(losses))
    print(f"{name}: {sum(p.numel() for p in net.parameters())} parameters, "
          f"loss {losses[0]:.6f} -> {losses[-1]:.6f}")
