"""PyTorch state_dicts as they are, for weights by name and by file order.

  torch_names.py DIR

The tutorial CNN (conv1, conv2, fc1, fc2, fc3: layer numbers that collide),
at a small size, as a plain nn.Module. Writes into DIR:
  cnn.npy                 inputs (N, H, W, C)
  cnn.safetensors         its state_dict in the state_dict's order, plus a
                          BatchNorm-style 'bn.num_batches_tracked' (ignored)
  cnn_shuffled.safetensors   the same tensors in reversed order (for names)
  cnn_f.npy               torch's f on x.permute(0, 3, 1, 2)
  cnn_full.npy, cnn_trace.npy   Theta (standard parameterisation) by autograd
Exit status 77 with a message when torch is missing.
"""
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
torch.set_default_dtype(torch.float64)
torch.manual_seed(23)


class Net(nn.Module):
    """PyTorch's CIFAR tutorial network, smaller (average pooling)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3)
        self.pool = nn.AvgPool2d(2, 2)
        self.conv2 = nn.Conv2d(4, 5, 3)
        self.fc1 = nn.Linear(5 * 2 * 2, 6)
        self.fc2 = nn.Linear(6, 5)
        self.fc3 = nn.Linear(5, 3)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


net = Net().double()
x = torch.randn(5, 14, 14, 3)
np.save(os.path.join(DIR, "cnn.npy"), x.numpy())
state = [(k, v.detach().numpy()) for k, v in net.state_dict().items()]
write_safetensors(os.path.join(DIR, "cnn.safetensors"),
                  state + [("bn.num_batches_tracked", np.array([7.0]))])
write_safetensors(os.path.join(DIR, "cnn_shuffled.safetensors"), state[::-1])
with torch.no_grad():
    np.save(os.path.join(DIR, "cnn_f.npy"), net(x.permute(0, 3, 1, 2)).numpy())
params = list(net.parameters())
rows = []
for xi in x:
    f = net(xi[None].permute(0, 3, 1, 2))[0]
    for o in range(f.shape[0]):
        grads = torch.autograd.grad(f[o], params, retain_graph=True)
        rows.append(torch.cat([g.reshape(-1) for g in grads]))
J = torch.stack(rows).detach().numpy()
k, n = f.shape[0], x.shape[0]
full = J @ J.T
np.save(os.path.join(DIR, "cnn_full.npy"), full)
np.save(os.path.join(DIR, "cnn_trace.npy"), full.reshape(n, k, n, k).trace(axis1=1, axis2=3) / k)
print(f"tutorial cnn: {sum(p.numel() for p in params)} parameters, k = {k}, "
      f"tensors {[name for name, _ in state]}")
