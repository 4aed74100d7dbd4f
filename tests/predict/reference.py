"""Independent numpy references for the held-out predictions (tests/predict).

make DIR [FULL]: writes DIR/{inputs,targets,test_inputs,test_targets}.npy (one-hot
  targets, so accuracy is defined), DIR/weights.safetensors (a 4 -> 16 tanh ->
  12 relu -> 3 network, standard parameterisation = torch.nn.Linear), and the
  references computed here by hand-written backpropagation:
  DIR/f0_train.npy, DIR/f0_test.npy (outputs at initialisation) and
  DIR/cross_trace.npy, DIR/cross_full.npy (the cross kernel J_test J_train^T,
  trace = mean over the logits).

cross OUT DATA trace|full: OUT/test_theta.npy against the brute-force reference.

block OUT WHOLE N NAME: OUT/test_NAME.npy against the block [N:, :N] of
  WHOLE/NAME.npy (a run on the training and test inputs together).

predict OUT DATA FULL ANALYTIC LR STEPS... : the closed form of predict.h from
  OUT/theta.npy, OUT/test_theta.npy, f_0 (DATA/f0_*.npy, or 0 when ANALYTIC)
  and the targets, via numpy.linalg.eigh; compares test_predictions.npy
  (1e-10 relative) and predict.csv (losses 1e-10 relative, accuracy exact)."""
import csv
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from safetensors_f64 import write_safetensors  # noqa: E402

SIZES = [4, 16, 12, 3]
ACTS = [np.tanh, lambda z: np.maximum(z, 0.0)]
DERIVS = [lambda z: 1.0 - np.tanh(z) ** 2, lambda z: (z > 0).astype(float)]


def forward(W, b, x):
    hs, zs = [x], []
    for i in range(len(W)):
        z = hs[-1] @ W[i].T + b[i]
        zs.append(z)
        hs.append(ACTS[i](z) if i < len(W) - 1 else z)
    return hs, zs


def jacobian(W, b, x):
    """J[(x, o), p] for the parameter order W_1, b_1, W_2, b_2, ..."""
    hs, zs = forward(W, b, x)
    n, k = x.shape[0], W[-1].shape[0]
    J = np.zeros((n, k, sum(w.size + bb.size for w, bb in zip(W, b))))
    for o in range(k):
        g = np.zeros((n, k))
        g[:, o] = 1.0
        blocks = [None] * len(W)
        for i in reversed(range(len(W))):
            gw = g[:, :, None] * hs[i][:, None, :]  # n x out x in
            blocks[i] = np.concatenate([gw.reshape(n, -1), g], axis=1)
            if i > 0:
                g = (g @ W[i]) * DERIVS[i - 1](zs[i - 1])
        J[:, o, :] = np.concatenate(blocks, axis=1)
    return J


def make(out):
    rng = np.random.default_rng(21)
    n, n_test, k = 40, 23, SIZES[-1]
    x = rng.normal(size=(n, SIZES[0]))
    x_test = rng.normal(size=(n_test, SIZES[0]))
    y = np.eye(k)[rng.integers(0, k, n)]
    y_test = np.eye(k)[rng.integers(0, k, n_test)]
    W = [rng.normal(size=(SIZES[i + 1], SIZES[i])) / np.sqrt(SIZES[i]) for i in range(3)]
    b = [0.2 * rng.normal(size=SIZES[i + 1]) for i in range(3)]
    for name, array in (("inputs", x), ("targets", y), ("test_inputs", x_test),
                        ("test_targets", y_test)):
        np.save(f"{out}/{name}.npy", array)
    np.save(f"{out}/test_labels.npy", y_test.argmax(axis=1).astype(float))
    write_safetensors(f"{out}/weights.safetensors",
                      [(f"{2 * i}.{part}", t) for i in range(len(W))
                       for part, t in (("weight", W[i]), ("bias", b[i]))])
    np.save(f"{out}/f0_train.npy", forward(W, b, x)[0][-1])
    np.save(f"{out}/f0_test.npy", forward(W, b, x_test)[0][-1])
    J, J_test = jacobian(W, b, x), jacobian(W, b, x_test)
    full = np.einsum("aop,bqp->aobq", J_test, J).reshape(n_test * k, n * k)
    trace = np.einsum("aop,bop->ab", J_test, J) / k
    np.save(f"{out}/cross_full.npy", full)
    np.save(f"{out}/cross_trace.npy", trace)


def cross(out, data, kind):
    got, want = np.load(f"{out}/test_theta.npy"), np.load(f"{data}/cross_{kind}.npy")
    assert got.shape == want.shape, (got.shape, want.shape)
    error = np.abs(got - want).max() / np.abs(want).max()
    print(f"{out}: test_theta.npy vs brute-force J_test J^T ({kind}): {error:.2e}")
    assert error < 1e-12, error


def block(out, whole, n, name):
    """OUT/test_NAME.npy equals rows n.. and columns ..n of WHOLE/NAME.npy: the
    kernel of the training and test inputs together."""
    got, big = np.load(f"{out}/test_{name}.npy"), np.load(f"{whole}/{name}.npy")
    want = big[n:, :n]
    assert got.shape == want.shape, (got.shape, want.shape)
    error = np.abs(got - want).max() / np.abs(want).max()
    print(f"{out}: test_{name}.npy vs the joint kernel's block: {error:.2e}")
    assert error < 1e-13, error


def accuracy(pred, y):
    return float((pred.argmax(axis=1) == y.argmax(axis=1)).mean())


def predict(out, data, full, analytic, eta, steps, cutoff=1e-10, ridge=0.0, infinite=True):
    theta = np.load(f"{out}/theta.npy")
    cross = np.load(f"{out}/test_theta.npy")
    y, y_test = np.load(f"{data}/targets.npy"), np.load(f"{data}/test_targets.npy")
    n, k = y.shape
    n_test = y_test.shape[0]
    f0 = np.zeros_like(y) if analytic else np.load(f"{data}/f0_train.npy")
    f0_test = np.zeros_like(y_test) if analytic else np.load(f"{data}/f0_test.npy")
    lam, V = np.linalg.eigh(theta)
    keep = (lam > cutoff * lam.max()) & (lam > 0)
    r = (f0 - y).reshape(-1, 1) if full else f0 - y  # channels: 1 (full) or k (trace)
    alpha = V.T @ r
    times = [float(s) for s in steps] + ([np.inf] if infinite else [])
    preds, train_loss, test_loss, acc = [], [], [], []
    for t in times:
        h = np.zeros_like(lam)
        if np.isinf(t):
            h[keep] = 1.0 / (lam[keep] + ridge)
        else:
            a = eta * t / (n * k)
            h[keep] = -np.expm1(-a * lam[keep]) / lam[keep]
        delta = -cross @ (V @ (h[:, None] * alpha))
        p = f0_test + (delta.reshape(n_test, k) if full else delta)
        preds.append(p)
        train_loss.append((((1 - lam * h)[:, None] * alpha) ** 2).sum() / (2 * n * k))
        test_loss.append(((p - y_test) ** 2).sum() / (2 * n_test * k))
        acc.append(accuracy(p, y_test))
    return np.array(preds), np.array(train_loss), np.array(test_loss), np.array(acc)


def check(out, data, full, analytic, eta, steps):
    want, train_loss, test_loss, acc = predict(out, data, full, analytic, eta, steps)
    got = np.load(f"{out}/test_predictions.npy")
    assert got.shape == want.shape, (got.shape, want.shape)
    error = np.abs(got - want).max() / np.abs(want).max()
    with open(f"{out}/predict.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["step"] for r in rows] == [str(s) for s in steps] + ["inf"], rows
    csv_train = np.array([float(r["train_loss"]) for r in rows])
    csv_test = np.array([float(r["test_loss"]) for r in rows])
    csv_acc = np.array([float(r["test_accuracy"]) for r in rows])
    # Train loss: relative to the largest (it falls to ~1e-30 at infinity).
    loss_error = max(np.abs(csv_train - train_loss).max() / train_loss.max(),
                     np.abs(csv_test - test_loss).max() / test_loss.max())
    print(f"{out}: predictions {error:.2e}, losses {loss_error:.2e}, accuracy {list(csv_acc)}")
    assert error < 1e-10, error
    assert loss_error < 1e-10, loss_error
    assert np.array_equal(csv_acc, acc), (csv_acc, acc)


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    elif sys.argv[1] == "cross":
        cross(*sys.argv[2:5])
    elif sys.argv[1] == "block":
        block(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    elif sys.argv[1] == "predict":
        out, data, full, analytic, eta = sys.argv[2:7]
        check(out, data, full == "1", analytic == "1", float(eta), [int(s) for s in sys.argv[7:]])
