"""PyTorch's fastest recipe on this torch for the full empirical NTK of the
CIFAR-style ResNet-18 (jobs/resnet18_cifar.py): per-sample Jacobians of the
10 logits with functorch's jacrev + vmap (torch.func's before torch 2.0; per-row
autograd where neither exists), in batches, written into one (N k, P) float64
array, then Theta = J J^T as one matrix product (rows ordered input-major, as
ntkgram's full Theta). Evaluation mode (BatchNorm on its running statistics).

  torch_recipe.py BUILDER N THREADS INPUTS.npy THETA_OUT.npy
prints: torch_seconds S jacobian_seconds S gemm_seconds S recipe R
"""
import importlib.util
import os
import sys
import time

import numpy as np
import torch

builder, n, threads, inputs, theta_out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
torch.set_num_threads(threads)
here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "resnet18_cifar", os.path.join(here, "..", "..", "jobs", "resnet18_cifar.py"))
models = importlib.util.module_from_spec(spec)
spec.loader.exec_module(models)
net = getattr(models, builder)().double().eval()  # as torch2ntk.py exports it
torch.set_default_dtype(torch.float64)
x = torch.from_numpy(np.load(inputs)[:n]).permute(0, 3, 1, 2).contiguous()
n = x.shape[0]
batch = 8  # bounds vmap's per-sample intermediates

try:
    from torch.func import functional_call, jacrev, vmap  # noqa: F401
    recipe = "torch.func jacrev + vmap"
except ImportError:
    try:
        from functorch import jacrev, make_functional_with_buffers, vmap
        recipe = "functorch jacrev + vmap"
    except ImportError:
        recipe = "per-row autograd"

start = time.perf_counter()
if recipe == "functorch jacrev + vmap":
    fnet, params, buffers = make_functional_with_buffers(net)
    # plain tensors: parameters that require grad would keep each batch's graph alive
    params = tuple(p.detach() for p in params)

    def f(p, xi):
        return fnet(p, buffers, xi[None])[0]
    jacobian = vmap(jacrev(f), (None, 0))
    args = params
elif recipe == "torch.func jacrev + vmap":
    params = {k: v.detach() for k, v in net.named_parameters()}
    buffers = {k: v for k, v in net.named_buffers()}

    def f(p, xi):
        return functional_call(net, (p, buffers), (xi[None],))[0]
    jacobian = vmap(jacrev(f), (None, 0))
    args = params
P = sum(p.numel() for p in net.parameters())
J = None
if recipe == "per-row autograd":
    plist = list(net.parameters())
    for i in range(n):
        out = net(x[i:i + 1])[0]
        if J is None:
            k = out.shape[0]
            J = torch.empty(n * k, P)
        for o in range(k):
            grads = torch.autograd.grad(out[o], plist, retain_graph=o + 1 < k)
            J[i * k + o] = torch.cat([g.reshape(-1) for g in grads])
else:
    for first in range(0, n, batch):
        jac = jacobian(args, x[first:first + batch])
        jac = jac.values() if isinstance(jac, dict) else jac
        block = torch.cat([j.reshape(j.shape[0], j.shape[1], -1) for j in jac], dim=2)
        b, k = block.shape[0], block.shape[1]
        if J is None:
            J = torch.empty(n * k, P)
        J[first * k:(first + b) * k] = block.reshape(b * k, P)
        del jac, block
jacobian_seconds = time.perf_counter() - start
theta = J @ J.T
elapsed = time.perf_counter() - start
np.save(theta_out, theta.numpy())
print(f"torch_seconds {elapsed:.3f} jacobian_seconds {jacobian_seconds:.3f} "
      f"gemm_seconds {elapsed - jacobian_seconds:.3f} recipe {recipe.replace(' ', '_')} "
      f"(n = {n}, k = {k}, P = {P}, threads = {threads})")
