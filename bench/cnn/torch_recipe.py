"""The PyTorch autograd recipe for the trace NTK of bench/cnn/cnn.yaml's CNN:
per-sample Jacobians with functorch's jacrev + vmap (in batches), then
Theta = (1/k) sum_o J_o J_o^T as one matrix product. float64, on the threads
torch is given (torch.set_num_threads).

  torch_recipe.py N THREADS   prints: torch_seconds S  (jacobian J, then J J^T)
"""
import sys
import time

import torch
import torch.nn as nn
from functorch import jacrev, make_functional, vmap

n, threads = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(threads)
torch.set_default_dtype(torch.float64)
torch.manual_seed(0)
net = nn.Sequential(nn.Conv2d(3, 64, 3, padding="same"), nn.ReLU(),
                    nn.Conv2d(64, 64, 3, padding="same"), nn.ReLU(),
                    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))
fnet, params = make_functional(net)
x = torch.randn(n, 3, 32, 32)


def f(p, xi):
    return fnet(p, xi[None])[0]


start = time.perf_counter()
blocks = []
for first in range(0, n, 32):  # batches bound the per-sample intermediate memory
    jac = vmap(jacrev(f), (None, 0))(params, x[first:first + 32])
    blocks.append(torch.cat([j.reshape(j.shape[0], j.shape[1], -1) for j in jac], dim=2))
J = torch.cat(blocks)  # n x k x P
k = J.shape[1]
J = J.permute(1, 0, 2).reshape(k, n, -1)
theta = torch.einsum("onp,omp->nm", J, J) / k
elapsed = time.perf_counter() - start
print(f"torch_seconds {elapsed:.3f}  (n = {n}, k = {k}, P = {J.shape[2]}, threads = {threads})")
