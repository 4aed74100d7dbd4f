"""Writes safetensors files with plain numpy + json (no torch, no safetensors
package) and the NTK a hand computation expects for them.

  make_weights.py DIR

DIR gets inputs.npy, and for the network d=3 -> 5 (relu) -> 2 in the
standard parameterisation (torch.nn.Linear: f = W2 relu(W1 x + b1) + b2):
  f64.safetensors    F64 tensors 0.weight, 0.bias, 2.weight, 2.bias
  f32.safetensors    the same values rounded to F32, header keys in another
                     order and prefixed "net." (net.0.weight, ...), plus
                     __metadata__
  theta_f64.npy, theta_f32.npy   the trace NTK (mean over the 2 logits) from
                     explicit per-parameter derivatives
  fc.safetensors, nested.safetensors   the F64 values under the names
                     fc1/fc2 and layers.2.linear/layers.10.linear
  bad_*.safetensors  files that must be refused (see the test script)
"""
import json
import struct
import sys

import numpy as np

DIR = sys.argv[1]
D, H, K, N = 3, 5, 2, 7


def write_safetensors(path, tensors, order=None, metadata=None):
    """tensors: name -> (dtype string, numpy array)."""
    names = order or list(tensors)
    header = {}
    blobs = []
    offset = 0
    for name in names:
        dtype, array = tensors[name]
        data = np.ascontiguousarray(array, dtype={"F64": "<f8", "F32": "<f4", "F16": "<f2"}[dtype]).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def trace_ntk(x, w1, b1, w2, b2, with_bias=True):
    """Theta_bar(x, x') = (1/k) sum_o <df_o(x)/dp, df_o(x')/dp>, by hand."""
    rows = []  # per (x, o): the gradient over all parameters
    for xi in x:
        z = w1 @ xi + b1
        h = np.maximum(z, 0.0)
        gate = (z > 0).astype(float)
        per_output = []
        for o in range(K):
            d_w2 = np.zeros_like(w2)
            d_w2[o] = h
            d_b2 = np.zeros(K)
            d_b2[o] = 1.0
            d_z1 = w2[o] * gate
            d_w1 = np.outer(d_z1, xi)
            d_b1 = d_z1
            parts = [d_w1.ravel(), d_b1, d_w2.ravel(), d_b2] if with_bias else [d_w1.ravel(), d_w2.ravel()]
            per_output.append(np.concatenate(parts))
        rows.append(per_output)
    j = np.array(rows)  # N x K x P
    return np.einsum("aop,bop->ab", j, j) / K


rng = np.random.default_rng(7)
x = rng.normal(size=(N, D))
np.save(f"{DIR}/inputs.npy", x)
w1 = rng.normal(size=(H, D)) / np.sqrt(D)
b1 = 0.1 * rng.normal(size=H)
w2 = rng.normal(size=(K, H)) / np.sqrt(H)
b2 = 0.1 * rng.normal(size=K)

write_safetensors(f"{DIR}/f64.safetensors",
                  {"0.weight": ("F64", w1), "0.bias": ("F64", b1),
                   "2.weight": ("F64", w2), "2.bias": ("F64", b2)})
np.save(f"{DIR}/theta_f64.npy", trace_ntk(x, w1, b1, w2, b2))

f32 = [a.astype(np.float32).astype(np.float64) for a in (w1, b1, w2, b2)]
write_safetensors(f"{DIR}/f32.safetensors",
                  {"net.0.weight": ("F32", f32[0]), "net.0.bias": ("F32", f32[1]),
                   "net.2.weight": ("F32", f32[2]), "net.2.bias": ("F32", f32[3])},
                  order=["net.2.bias", "net.0.weight", "net.2.weight", "net.0.bias"],
                  metadata={"format": "pt"})
np.save(f"{DIR}/theta_f32.npy", trace_ntk(x, *f32))

# Other naming schemes, same values: trailing digits ("fc1", "fc2") and the
# last numeric component, ordered by value not text ("layers.2.linear" comes
# before "layers.10.linear").
write_safetensors(f"{DIR}/fc.safetensors",
                  {"fc1.weight": ("F64", w1), "fc1.bias": ("F64", b1),
                   "fc2.weight": ("F64", w2), "fc2.bias": ("F64", b2)})
write_safetensors(f"{DIR}/nested.safetensors",
                  {"layers.10.linear.weight": ("F64", w2), "layers.10.linear.bias": ("F64", b2),
                   "layers.2.linear.weight": ("F64", w1), "layers.2.linear.bias": ("F64", b1)})

# Without biases: the same weights, biases absent from the file.
write_safetensors(f"{DIR}/nobias.safetensors",
                  {"0.weight": ("F64", w1), "2.weight": ("F64", w2)})
np.save(f"{DIR}/theta_nobias.npy", trace_ntk(x, w1, np.zeros(H), w2, np.zeros(K), with_bias=False))

good = {"0.weight": ("F64", w1), "0.bias": ("F64", b1),
        "2.weight": ("F64", w2), "2.bias": ("F64", b2)}
missing = dict(good)
del missing["2.weight"], missing["2.bias"]
write_safetensors(f"{DIR}/bad_missing.safetensors", missing)
extra = dict(good)
extra["4.weight"] = ("F64", np.zeros((1, K)))
write_safetensors(f"{DIR}/bad_extra.safetensors", extra)
shape = dict(good)
shape["0.weight"] = ("F64", np.zeros((H, D + 1)))
write_safetensors(f"{DIR}/bad_shape.safetensors", shape)
bias_shape = dict(good)
bias_shape["2.bias"] = ("F64", np.zeros(K + 1))
write_safetensors(f"{DIR}/bad_bias_shape.safetensors", bias_shape)
orphan = dict(good)
del orphan["2.weight"]
orphan["4.weight"] = ("F64", w2)  # 2.bias now has no weight
write_safetensors(f"{DIR}/bad_orphan_bias.safetensors", orphan)
stray = dict(good)
stray["running_mean"] = ("F64", np.zeros(H))
write_safetensors(f"{DIR}/bad_stray.safetensors", stray)
# Layer numbers that collide (encoder.0, decoder.0): the file's own order,
# whatever the names' alphabetical order.
write_safetensors(f"{DIR}/collide.safetensors",
                  {"encoder.0.weight": ("F64", w1), "decoder.0.weight": ("F64", w2)})
half = {name: ("F16", array) for name, (dtype, array) in good.items()}
write_safetensors(f"{DIR}/bad_dtype.safetensors", half)
