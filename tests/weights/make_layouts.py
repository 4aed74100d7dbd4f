"""Writes safetensors files whose byte layout the reference loader
(huggingface safetensors) refuses or accepts, for a 3 -> 5 -> 2 network:

  make_layouts.py DIR

  layout_ok_newlines    header padded with JSON whitespace (newline, tab,
                        spaces): accepted, as serde_json accepts it
  layout_overlap        0.bias's data_offsets inside 0.weight's bytes
  layout_gap            8 bytes no tensor owns between two tensors
  layout_tail           8 bytes after the last tensor's data
  layout_out_of_range   2.bias's data_offsets past the end of the file
  layout_garbage        "xx" after the header's JSON object
  layout_nul_padding    the header padded with NUL bytes instead of spaces
  layout_nobias         the weights without their biases
  layout_partial_bias   0.bias but no 2.bias
  layout_many           100,000 one-element tensors (refused as extra: the
                        check must not take quadratic time)
"""
import json
import struct
import sys

import numpy as np

DIR = sys.argv[1]
rng = np.random.default_rng(3)
tensors = {"0.weight": rng.standard_normal((5, 3)), "0.bias": rng.standard_normal(5),
           "2.weight": rng.standard_normal((2, 5)), "2.bias": rng.standard_normal(2)}


def write(name, header, data, padding=b" ", after=b""):
    """The header's JSON, then `after`, then `padding` up to a multiple of 8
    (at least one byte of it)."""
    text = json.dumps(header).encode() + after
    text += padding * ((8 - len(text) % 8) % 8 or 8)
    with open(f"{DIR}/{name}.safetensors", "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


def layout(offsets):
    """The header for the four tensors at the given byte offsets, and the data."""
    header, size = {}, 0
    for name, array in tensors.items():
        begin = offsets[name]
        header[name] = {"dtype": "F64", "shape": list(array.shape),
                        "data_offsets": [begin, begin + array.nbytes]}
        size = max(size, begin + array.nbytes)
    data = bytearray(size)
    for name, array in tensors.items():
        data[offsets[name]:offsets[name] + array.nbytes] = array.astype("<f8").tobytes()
    return header, bytes(data)


packed = {"0.weight": 0, "0.bias": 120, "2.weight": 160, "2.bias": 240}
header, data = layout(packed)
write("layout_ok_newlines", header, data, after=b"\n\t\r")

header, data = layout({"0.weight": 0, "0.bias": 80, "2.weight": 120, "2.bias": 200})
write("layout_overlap", header, data)
header, data = layout({"0.weight": 0, "0.bias": 128, "2.weight": 168, "2.bias": 248})
write("layout_gap", header, data)
header, data = layout(packed)
write("layout_tail", header, data + bytes(8))
header, data = layout(packed)
header["2.bias"]["data_offsets"] = [256, 272]
header["2.bias"]["shape"] = [2]
write("layout_out_of_range", header, data)
header, data = layout(packed)
write("layout_garbage", header, data, after=b"xx")
write("layout_nul_padding", header, data, padding=b"\0")

header, data = layout(packed)
del header["0.bias"], header["2.bias"]
header["2.weight"]["data_offsets"] = [120, 200]
write("layout_nobias", header, data[:120] + data[160:240])

header, data = layout(packed)
del header["2.bias"]
write("layout_partial_bias", header, data[:240])

many = {f"{i}.weight": {"dtype": "F64", "shape": [1], "data_offsets": [8 * i, 8 * i + 8]}
        for i in range(100000)}
write("layout_many", many, bytes(8 * 100000))
