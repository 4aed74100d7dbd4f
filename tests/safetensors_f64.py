"""A safetensors file of float64 tensors, in the order given: what the torch
references (tests/conv/torch_reference.py, tests/train/conv_torch_training.py,
tests/train/numpy_training.py, tests/predict/reference.py) hand to ntkgram's
model.weights. The format tests write their own variants
(other dtypes, metadata, padding, key order) on purpose."""
import json
import struct

import numpy as np


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, array in tensors:
        data = np.ascontiguousarray(array, dtype="<f8").tobytes()
        header[name] = {"dtype": "F64", "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
