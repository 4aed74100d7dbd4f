"""The infinite-width NTK split by layer, in numpy, against ntkgram's files.

  analytic_layers.py OUT_DIR X.npy W_STD B_STD ACT...

For a dense net with len(ACT) hidden layers (relu or erf, closed forms:
arc-cosine, Williams 1997) and the ntk parameterisation, layer l's share of
the NTK keeps only layer l's Sigma term in the recursion
  Theta_1 = Sigma_1,  Theta_{l+1} = Sigma_{l+1} + w^2 E[phi'(u) phi'(v)] Theta_l,
so the layers' terms sum to Theta. Compares theta_layer_<l>.npy to 1e-12.
"""
import sys

import numpy as np

out, x_path, w, b = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
acts = sys.argv[5:]
x = np.load(x_path)
n, d = x.shape
w2, b2 = w * w, b * b


def moments(act, s11, s12, s22):
    norm = np.sqrt(np.outer(s11, s22))
    c = np.clip(s12 / norm, -1.0, 1.0)
    np.fill_diagonal(c, 1.0)
    if act == "relu":
        t = np.arccos(c)
        return norm * (np.sin(t) + (np.pi - t) * c) / (2 * np.pi), (np.pi - t) / (2 * np.pi)
    # erf: E[erf(u) erf(v)] and E[erf'(u) erf'(v)]
    a = 1.0 + 2.0 * s11
    bb = 1.0 + 2.0 * s22
    phi = 2.0 / np.pi * np.arcsin(2.0 * s12 / np.sqrt(np.outer(a, bb)))
    det = np.outer(a, bb) - 4.0 * s12 * s12
    return phi, 4.0 / np.pi / np.sqrt(det)


layers = len(acts) + 1
failures = []
total = None
for keep in range(1, layers + 1):
    gram = x @ x.T
    s = w2 * gram / d + b2
    theta = s.copy() if keep == 1 else np.zeros_like(s)
    for l, act in enumerate(acts, start=2):
        diag = np.diag(s).copy()
        e_phi, e_dphi = moments(act, diag, s, diag)
        s = w2 * e_phi + b2
        theta = (s if keep == l else 0.0) + w2 * e_dphi * theta
    got = np.load(f"{out}/theta_layer_{keep}.npy")
    err = np.max(np.abs(got - theta)) / np.max(np.abs(theta))
    if not err < 1e-12:
        failures.append(f"layer {keep}: {err:.3g}")
    total = theta if total is None else total + theta
whole = np.load(f"{out}/theta.npy")
err = np.max(np.abs(whole - total)) / np.max(np.abs(whole))
if not err < 1e-12:
    failures.append(f"numpy's layer sum vs ntkgram's Theta: {err:.3g}")
if failures:
    print("\n".join(failures))
    sys.exit(1)
print(f"{layers} layers agree with the numpy recursion")
