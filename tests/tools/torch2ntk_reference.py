"""Theta of a torch2ntk_models model by torch autograd (per-sample
gradients), on the inputs ntkgram reads, for tests/tools/torch2ntk.sh.

  torch2ntk_reference.py MODELS.py NAME INPUTS.npy OUT_PREFIX

INPUTS.npy is channels last (what ntkgram reads); torch gets its
channels-first permutation. Writes OUT_PREFIX_full.npy, OUT_PREFIX_trace.npy
(the mean over logits) and OUT_PREFIX_f.npy."""
import importlib.util
import sys

import numpy as np
import torch

path, name, inputs, prefix = sys.argv[1:5]
spec = importlib.util.spec_from_file_location("models", path)
models = importlib.util.module_from_spec(spec)
spec.loader.exec_module(models)
# built as the exporter builds it (torch's default float32), then float64
net = getattr(models, name)().double().eval()
torch.set_default_dtype(torch.float64)
x = torch.from_numpy(np.load(inputs))
if x.dim() == 4:
    x = x.permute(0, 3, 1, 2)
elif x.dim() == 3:
    x = x.permute(0, 2, 1)
params = [p for p in net.parameters()]
rows = []
for xi in x:
    f = net(xi[None])[0]
    for o in range(f.shape[0]):
        grads = torch.autograd.grad(f[o], params, retain_graph=True)
        rows.append(torch.cat([g.reshape(-1) for g in grads]))
J = torch.stack(rows)
k = f.shape[0]
n = x.shape[0]
full = (J @ J.T).detach().numpy()
np.save(prefix + "_full.npy", full)
np.save(prefix + "_trace.npy", full.reshape(n, k, n, k).trace(axis1=1, axis2=3) / k)
with torch.no_grad():
    np.save(prefix + "_f.npy", net(x).numpy())
