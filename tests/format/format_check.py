"""numpy-side checks of src/format: files written by ntkgram load in numpy
with the exact values, numpy-written headers parse, and safetensors files
written with plain numpy + json read back exactly (and the reverse).

usage: format_check.py FORMAT_TOOL SCRATCH_DIR
"""
import json
import os
import struct
import subprocess
import sys

import numpy as np

tool, scratch = sys.argv[1], sys.argv[2]
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message)


def run(*args):
    result = subprocess.run([tool, *map(str, args)], capture_output=True, text=True)
    return result.returncode, result.stdout


# --- .npy written by npy_write_local, loaded by numpy -----------------------
for rows, cols in [(0, 3), (1, 1), (5, 3), (70, 33), (9, -1), (0, -1)]:
    path = os.path.join(scratch, f"w_{rows}_{cols}.npy")
    rc, out = run("npy-write", path, rows, cols)
    check(rc == 0, f"npy-write {rows} {cols}: {out}")
    check(not os.path.exists(path + ".partial"), "partial file left behind")
    array = np.load(path)
    shape = (rows,) if cols < 0 else (rows, cols)
    expected = (1000.0 * np.arange(rows)[:, None] + np.arange(max(cols, 1))[None, :] + 0.5)
    expected = expected.reshape(shape)
    check(array.shape == shape and array.dtype == np.float64, f"shape {array.shape} vs {shape}")
    check(np.array_equal(array, expected), f"values of {rows}x{cols}")
    with open(path, "rb") as file:
        raw = file.read()
    header_length = struct.unpack("<H", raw[8:10])[0]
    check((10 + header_length) % 64 == 0 and raw[9 + header_length:10 + header_length] == b"\n",
          f"header padding of {rows}x{cols}")
    memmapped = np.load(path, mmap_mode="r")
    check(np.array_equal(np.asarray(memmapped), expected), "memmap values")

# --- headers numpy writes, parsed by npy_read_header ------------------------
cases = [
    ("c_f8", np.zeros((4, 3), "<f8"), "f8 0 0 2 4 3"),
    ("f_f8", np.asfortranarray(np.zeros((4, 3), "<f8")), "f8 0 1 2 4 3"),
    ("c_f4", np.zeros((2, 5), "<f4"), "f4 0 0 2 2 5"),
    ("be_f8", np.zeros((3, 2), ">f8"), "f8 1 0 2 3 2"),
    ("be_f4", np.zeros((3, 2), ">f4"), "f4 1 0 2 3 2"),
    ("one_d", np.zeros(7, "<f8"), "f8 0 0 1 7 1"),
]
for name, array, expected in cases:
    path = os.path.join(scratch, name + ".npy")
    np.save(path, array)
    rc, out = run("npy-header", path)
    parsed = out.split()
    check(rc == 0 and " ".join(parsed[:6]) == expected, f"{name}: got '{out.strip()}', want {expected}")
    if rc == 0:
        with open(path, "rb") as file:
            major = file.read(8)[6]
            length = struct.unpack("<H" if major == 1 else "<I", file.read(2 if major == 1 else 4))[0]
        check(int(parsed[6]) == (10 if major == 1 else 12) + length, f"{name}: data offset")
# Version 2.0 and 3.0 headers, as numpy writes them on request.
for version in [(2, 0), (3, 0)]:
    path = os.path.join(scratch, f"v{version[0]}.npy")
    with open(path, "wb") as file:
        np.lib.format.write_array(file, np.ones((6, 2)), version=version)
    rc, out = run("npy-header", path)
    check(rc == 0 and out.split()[:6] == "f8 0 0 2 6 2".split(), f"version {version}: {out}")
# Errors that name the path and what was found.
errors = [
    # 3-D and 4-D arrays are (N, L, C) / (N, H, W, C) inputs now; 5-D is refused.
    ("five_d", lambda p: np.save(p, np.zeros((2, 3, 4, 1, 2))), "5-D array of shape (2, 3, 4, 1, 2)"),
    ("int64", lambda p: np.save(p, np.zeros((2, 3), np.int64)), "unsupported dtype '<i8'"),
    ("complex", lambda p: np.save(p, np.zeros(3, np.complex128)), "unsupported dtype '<c16'"),
]
for name, make, fragment in errors:
    path = os.path.join(scratch, name + ".npy")
    make(path)
    rc, out = run("npy-header", path)
    check(rc == 1 and out.startswith(f"error: {path}: ") and fragment in out,
          f"{name}: got '{out.strip()}'")
path = os.path.join(scratch, "truncated.npy")
np.save(path, np.zeros((10, 10)))
with open(path, "r+b") as file:
    file.truncate(os.path.getsize(path) - 8)
rc, out = run("npy-header", path)
check(rc == 1 and f"{path}: truncated .npy file: expects 800 bytes of data, has 792" in out,
      f"truncated: '{out.strip()}'")
path = os.path.join(scratch, "not_npy.npy")
with open(path, "w") as file:
    file.write("1,2,3\n")
rc, out = run("npy-header", path)
check(rc == 1 and "not a .npy file" in out, f"not npy: '{out.strip()}'")


# --- safetensors written by plain numpy + json, read by st_read_* -----------
def write_safetensors(path, tensors, metadata=None, pad=True):
    header, blobs, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, array in tensors:
        raw = array.tobytes()
        dtype = {"<f8": "F64", "<f4": "F32", "<i8": "I64", "<f2": "F16"}[array.dtype.str]
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    with open(path, "wb") as file:
        file.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def dump(path):
    rc, out = run("st-dump", path)
    tensors, lines = {}, out.splitlines()
    if rc != 0:
        return rc, out
    i = 0
    while i < len(lines):
        fields = lines[i].split()
        name, dtype, ndim = fields[0], fields[1], int(fields[2])
        shape = tuple(int(v) for v in fields[3:3 + ndim])
        begin, end = int(fields[3 + ndim]), int(fields[4 + ndim])
        count = int(np.prod(shape)) if ndim else 1
        if i + 1 < len(lines) and lines[i + 1].startswith(path):
            tensors[name] = (dtype, shape, begin, end, lines[i + 1])
            i += 2
        else:
            values = np.array([float(v) for v in lines[i + 1:i + 1 + count]]).reshape(shape)
            tensors[name] = (dtype, shape, begin, end, values)
            i += 1 + count
    return rc, tensors


rng = np.random.default_rng(7)
w64 = rng.standard_normal((5, 3))
w32 = rng.standard_normal((4, 5)).astype("<f4")
b32 = rng.standard_normal(4).astype("<f4")
ints = np.arange(6, dtype="<i8").reshape(2, 3)
path = os.path.join(scratch, "numpy.safetensors")
write_safetensors(path, [("0.weight", w64), ("2.weight", w32), ("2.bias", b32), ("steps", ints)],
                  metadata={"format": "pt"})
rc, tensors = dump(path)
check(rc == 0, f"st-dump numpy file: {tensors}")
if rc == 0:
    check(sorted(tensors) == ["0.weight", "2.bias", "2.weight", "steps"], f"names {sorted(tensors)}")
    check(tensors["0.weight"][:2] == ("F64", (5, 3)) and np.array_equal(tensors["0.weight"][4], w64),
          "F64 tensor values")
    check(tensors["2.weight"][:2] == ("F32", (4, 5)) and
          np.array_equal(tensors["2.weight"][4], w32.astype(np.float64)), "F32 tensor values")
    check(np.array_equal(tensors["2.bias"][4], b32.astype(np.float64)), "F32 bias values")
    check(isinstance(tensors["steps"][4], str) and "dtype I64; only F32 and F64" in tensors["steps"][4],
          f"I64 read error: {tensors['steps'][4]}")
    with open(path, "rb") as file:
        n = struct.unpack("<Q", file.read(8))[0]
        header = json.loads(file.read(n))
    begin, end = header["2.weight"]["data_offsets"]
    check(tensors["2.weight"][2:4] == (8 + n + begin, 8 + n + end), "absolute offsets")

# Broken files: each must be refused with a message naming path and problem.
broken = {
    "short.safetensors": (lambda p: open(p, "wb").write(b"\x05\x00"), "shorter than 8 bytes"),
    "huge_header.safetensors": (lambda p: open(p, "wb").write(struct.pack("<Q", 1 << 40) + b"{}"),
                                "does not fit the file"),
    "bad_json.safetensors": (lambda p: open(p, "wb").write(struct.pack("<Q", 5) + b"{oops"),
                             "not valid JSON"),
}


def write_raw_header(path, header, data=b""):
    text = json.dumps(header).encode()
    with open(path, "wb") as file:
        file.write(struct.pack("<Q", len(text)) + text + data)


broken["past_end.safetensors"] = (
    lambda p: write_raw_header(p, {"w": {"dtype": "F64", "shape": [2, 2], "data_offsets": [0, 32]}},
                               b"\0" * 24), "run past the end of the file")
broken["size_mismatch.safetensors"] = (
    lambda p: write_raw_header(p, {"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 20]}},
                               b"\0" * 24), "F32 shape needs 24 bytes but data_offsets [0, 20] hold 20")
broken["reversed.safetensors"] = (
    lambda p: write_raw_header(p, {"w": {"dtype": "F64", "shape": [0], "data_offsets": [8, 0]}},
                               b"\0" * 8), "end before they begin")
broken["no_shape.safetensors"] = (
    lambda p: write_raw_header(p, {"w": {"dtype": "F64", "data_offsets": [0, 8]}}, b"\0" * 8),
    "missing or invalid \"shape\"")
broken["negative.safetensors"] = (
    lambda p: write_raw_header(p, {"w": {"dtype": "F64", "shape": [-1], "data_offsets": [0, 8]}},
                               b"\0" * 8), "non-negative integers")
for name, (make, fragment) in broken.items():
    path = os.path.join(scratch, name)
    make(path)
    rc, out = run("st-dump", path)
    check(rc == 1 and out.startswith(f"error: {path}: ") and fragment in out,
          f"{name}: got '{out.strip()}'")
rc, out = run("st-dump", os.path.join(scratch, "missing.safetensors"))
check(rc == 1 and "missing.safetensors: cannot open safetensors file: No such file" in out,
      f"missing file: '{out.strip()}'")

# --- safetensors written by st_write_f64, read by plain numpy ---------------
path = os.path.join(scratch, "written.safetensors")
rc, out = run("st-write", path)
check(rc == 0, f"st-write: {out}")
check(not os.path.exists(path + ".partial"), "safetensors partial file left behind")
with open(path, "rb") as file:
    n = struct.unpack("<Q", file.read(8))[0]
    text = file.read(n)
    data = file.read()
check(n % 8 == 0, f"header length {n} not a multiple of 8")
header = json.loads(text)
expected = {
    "0.weight": np.arange(12).reshape(3, 4) * 0.1 - 0.35,
    "0.bias": -1.5 + np.arange(3.0),
    "scalar": np.array(np.pi),
    "empty": np.zeros((0, 5)),
    "layers.2.cube": (1.0 / (np.arange(24) + 1)).reshape(2, 3, 4),
}
check(list(header) == list(expected), f"tensor order {list(header)}")
offset = 0
for name, want in expected.items():
    entry = header.get(name, {})
    check(entry.get("dtype") == "F64" and entry.get("shape") == list(want.shape),
          f"{name}: entry {entry}")
    begin, end = entry.get("data_offsets", [0, 0])
    check(begin == offset and end == begin + 8 * want.size, f"{name}: offsets {begin},{end}")
    got = np.frombuffer(data[begin:end], "<f8").reshape(want.shape)
    check(np.array_equal(got, want), f"{name}: values")
    offset = end
check(len(data) == offset, "data section length")
rc, tensors = dump(path)
check(rc == 0 and all(np.array_equal(tensors[n][4], expected[n]) for n in expected),
      "write then read round trip")

if failures:
    print(f"{len(failures)} failure(s)")
    sys.exit(1)
print("ok: format checks")
