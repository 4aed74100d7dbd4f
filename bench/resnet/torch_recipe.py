"""PyTorch's fastest recipe on this torch for the full empirical NTK of the
CIFAR-style ResNet-18 (jobs/resnet18_cifar.py): per-sample Jacobians of the
10 logits with functorch's jacrev + vmap (torch.func's before torch 2.0; per-row
autograd where neither exists), in batches of inputs, written into one (N k, P)
float64 array, then Theta = J J^T as one matrix product (rows ordered
input-major, as ntkgram's full Theta). Evaluation mode (BatchNorm on its
running statistics).

When J (N k x P doubles) exceeds MEMORY_GB, the same recipe runs in pieces:
the flat parameter vector is cut into groups of at most MEMORY_GB / (8 N k)
parameters (whole tensors where they fit, else slices of one tensor), and per
group J_g (N k x its parameters) is computed by jacrev + vmap over the group's
tensors only, in the same batches of inputs, then Theta += J_g J_g^T. Each
group repeats the forward pass and the backward pass down to its tensors; a
slice of a tensor repeats that tensor's whole Jacobian (jacrev has no partial
tensors). It is still jacrev + vmap and one GEMM per piece, done in pieces.

  torch_recipe.py BUILDER N THREADS INPUTS.npy THETA_OUT.npy [MEMORY_GB]
prints: torch_seconds S jacobian_seconds S gemm_seconds S cpu_seconds S recipe R ...
"""
import importlib.util
import os
import sys
import time

import numpy as np
import torch

builder, n, threads, inputs, theta_out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
memory_gb = float(sys.argv[6]) if len(sys.argv) > 6 else float("inf")
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

names = [name for name, _ in net.named_parameters()]
tensors = [p.detach() for p in net.parameters()]  # plain tensors: no graph kept alive
P = sum(t.numel() for t in tensors)
k = net(x[:1]).shape[1]
if recipe == "functorch jacrev + vmap":
    fnet, _, buffers = make_functional_with_buffers(net)

    def call(params, xi):
        return fnet(tuple(params), buffers, xi[None])[0]
elif recipe == "torch.func jacrev + vmap":
    buffers = {name: b for name, b in net.named_buffers()}

    def call(params, xi):
        return functional_call(net, ({m: t for m, t in zip(names, params)}, buffers), (xi[None],))[0]


def jacobian_rows(group):
    """J restricted to the tensors `group` (indices), all N inputs: (N k, their sizes)."""
    def f(chosen, xi):
        params = list(tensors)
        for index, tensor in zip(group, chosen):
            params[index] = tensor
        return call(params, xi)
    jacobian = vmap(jacrev(f), (None, 0))
    chosen = tuple(tensors[i] for i in group)
    rows = torch.empty(n * k, sum(tensors[i].numel() for i in group))
    for first in range(0, n, batch):
        jac = jacobian(chosen, x[first:first + batch])
        block = torch.cat([j.reshape(j.shape[0], j.shape[1], -1) for j in jac], dim=2)
        rows[first * k:(first + block.shape[0]) * k] = block.reshape(-1, rows.shape[1])
        del jac, block
    return rows


def parameter_groups(limit):
    """Pieces of the flat parameter vector, each at most `limit` parameters:
    (tensor indices, first, last) with [first, last) columns of their rows."""
    groups, current, size = [], [], 0
    for index, tensor in enumerate(tensors):
        count = tensor.numel()
        if count > limit:
            if current:
                groups.append((current, 0, size))
                current, size = [], 0
            pieces = -(-count // limit)
            width = -(-count // pieces)
            groups += [([index], a, min(a + width, count)) for a in range(0, count, width)]
            continue
        if size + count > limit:
            groups.append((current, 0, size))
            current, size = [], 0
        current.append(index)
        size += count
    if current:
        groups.append((current, 0, size))
    return groups


start, cpu_start = time.perf_counter(), time.process_time()
pieces = 1
if recipe == "per-row autograd":
    plist = list(net.parameters())
    J = torch.empty(n * k, P)
    for i in range(n):
        out = net(x[i:i + 1])[0]
        for o in range(k):
            grads = torch.autograd.grad(out[o], plist, retain_graph=o + 1 < k)
            J[i * k + o] = torch.cat([g.reshape(-1) for g in grads])
    jacobian_seconds = time.perf_counter() - start
    theta = J @ J.T
elif 8.0 * n * k * P <= memory_gb * 1e9:
    J = jacobian_rows(list(range(len(tensors))))
    jacobian_seconds = time.perf_counter() - start
    theta = J @ J.T
else:
    limit = max(1, int(memory_gb * 1e9 / (8.0 * n * k)))
    groups = parameter_groups(limit)
    pieces = len(groups)
    recipe += " in pieces"
    theta = torch.zeros(n * k, n * k)
    jacobian_seconds = 0.0
    for group, first, last in groups:
        piece_start = time.perf_counter()
        rows = jacobian_rows(group)
        if first > 0 or last < rows.shape[1]:
            rows = rows[:, first:last].contiguous()
        jacobian_seconds += time.perf_counter() - piece_start
        theta.addmm_(rows, rows.T)
        del rows
elapsed = time.perf_counter() - start
np.save(theta_out, theta.numpy())
print(f"torch_seconds {elapsed:.3f} jacobian_seconds {jacobian_seconds:.3f} "
      f"gemm_seconds {elapsed - jacobian_seconds:.3f} cpu_seconds {time.process_time() - cpu_start:.3f} "
      f"recipe {recipe.replace(' ', '_')} "
      f"(n = {n}, k = {k}, P = {P}, threads = {threads}, pieces = {pieces})")
