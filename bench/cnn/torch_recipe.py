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
# Plain tensors: with parameters that require grad, each batch's Jacobian would
# keep its autograd graph alive (24 GB were not enough at N = 2048).
params = tuple(p.detach() for p in params)
x = torch.randn(n, 3, 32, 32)


def f(p, xi):
    return fnet(p, xi[None])[0]


start = time.perf_counter()
# J is written batch by batch into one (k, n, P) array (k N P doubles, 6.4 GB
# at N = 2048) and Theta is summed one logit at a time, with no second copy.
J = None
for first in range(0, n, 32):  # batches bound the per-sample intermediate memory
    jac = vmap(jacrev(f), (None, 0))(params, x[first:first + 32])
    block = torch.cat([j.reshape(j.shape[0], j.shape[1], -1) for j in jac], dim=2)
    if J is None:
        J = torch.empty(block.shape[1], n, block.shape[2])
    J[:, first:first + block.shape[0], :] = block.permute(1, 0, 2)
    del jac, block
k = J.shape[0]
theta = torch.zeros(n, n)
for o in range(k):
    theta.addmm_(J[o], J[o].T)
theta /= k
elapsed = time.perf_counter() - start
print(f"torch_seconds {elapsed:.3f}  (n = {n}, k = {k}, P = {J.shape[2]}, threads = {threads})")
