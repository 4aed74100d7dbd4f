"""numpy-side checks of src/data: row subsets of .npy/.csv files equal the
numpy rows exactly, bad files give the documented messages, and synthetic
data equal an independent Python model of the counter-based generator.

usage: data_check.py DATA_TOOL SCRATCH_DIR
"""
import math
import os
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
    return result.returncode, result.stdout.strip()


OUT = os.path.join(scratch, "out.npy")


def read(kind, role, path, cols, rows):
    """Rows via data_read_rows; returns (array, "") or (None, error line)."""
    if os.path.exists(OUT):
        os.remove(OUT)
    rc, out = run("read", kind, role, path, cols, rows, OUT)
    return (np.load(OUT), "") if rc == 0 else (None, out)


def shape(kind, role, path):
    rc, out = run("shape", kind, role, path)
    return tuple(int(v) for v in out.split()) if rc == 0 else out


def rows_text(rows):
    return ",".join(str(r) for r in rows)


# --- .npy files of every supported layout -----------------------------------
rng = np.random.default_rng(3)
base = rng.standard_normal((37, 5))
layouts = {
    "c_f8": base,
    "f_f8": np.asfortranarray(base),
    "c_f4": base.astype("<f4"),
    "f_f4": np.asfortranarray(base.astype("<f4")),
    "be_f8": base.astype(">f8"),
    "be_f4_fortran": np.asfortranarray(base.astype(">f4")),
}
subsets = [list(range(37)), [0], [36], [1, 2, 3, 10, 11, 20, 35, 36], [5, 7, 9], list(range(12, 25))]
for name, array in layouts.items():
    path = os.path.join(scratch, name + ".npy")
    np.save(path, array)
    check(shape("npy", "inputs", path) == (37, 5), f"{name}: shape {shape('npy', 'inputs', path)}")
    reference = np.asarray(array, dtype=np.float64)
    for rows in subsets:
        got, error = read("npy", "inputs", path, 5, rows_text(rows))
        check(got is not None and np.array_equal(got, reference[rows]),
              f"{name}: rows {rows[:4]}...: {error}")
    got, error = read("npy", "inputs", path, 5, "30+7")
    check(got is not None and np.array_equal(got, reference[30:37]), f"{name}: range: {error}")

# Larger than the 8 MiB conversion buffer, float32 in both orders, so reads
# are split into pieces.
big = rng.standard_normal((2200, 1000)).astype("<f4")
for order, array in [("C", big), ("F", np.asfortranarray(big))]:
    path = os.path.join(scratch, f"big_{order}.npy")
    np.save(path, array)
    got, error = read("npy", "inputs", path, 1000, "0+2200")
    check(got is not None and np.array_equal(got, big.astype(np.float64)), f"big {order}: {error}")
    rows = [3, 4, 5, 1000, 2199]
    got, error = read("npy", "inputs", path, 1000, rows_text(rows))
    check(got is not None and np.array_equal(got, big[rows].astype(np.float64)),
          f"big {order} subset: {error}")
    os.remove(path)

# A 1-D targets array is (N, 1).
path = os.path.join(scratch, "targets_1d.npy")
np.save(path, base[:, 0].copy())
check(shape("npy", "targets", path) == (37, 1), "1-D shape")
got, error = read("npy", "targets", path, 1, "2,3,30")
check(got is not None and np.array_equal(got, base[[2, 3, 30], :1]), f"1-D values: {error}")

# (N, H, W, C) and (N, L, C) inputs: a row is one input's values, channels
# last (NumPy's C-order reshape to (N, -1)), whatever the file's order and dtype.
images = rng.standard_normal((9, 4, 3, 2))
for name, array in [("nhwc_c", images), ("nhwc_f", np.asfortranarray(images)),
                    ("nhwc_f32_f", np.asfortranarray(images.astype(np.float32))),
                    ("nlc_f", np.asfortranarray(images[:, :, 0, :]))]:
    path = os.path.join(scratch, name + ".npy")
    np.save(path, array)
    flat = np.asarray(array, dtype=np.float64).reshape(array.shape[0], -1)
    check(shape("npy", "inputs", path) == flat.shape, f"{name}: shape {shape('npy', 'inputs', path)}")
    got, error = read("npy", "inputs", path, flat.shape[1], "0,2,3,8")
    check(got is not None and np.array_equal(got, flat[[0, 2, 3, 8]]), f"{name}: rows differ {error}")

# Errors name the path and what was wrong.
path = os.path.join(scratch, "five_d.npy")
np.save(path, np.zeros((2, 3, 4, 1, 2)))
out = shape("npy", "inputs", path)
check(isinstance(out, str) and out.startswith(f"error: {path}: ") and "5-D array of shape (2, 3, 4, 1, 2)" in out,
      f"5-D: {out}")
path = os.path.join(scratch, "truncated.npy")
np.save(path, base)
with open(path, "r+b") as file:
    file.truncate(os.path.getsize(path) - 100)
out = shape("npy", "inputs", path)
check(isinstance(out, str) and f"{path}: truncated .npy file: expects {37 * 5 * 8} bytes of data, has {37 * 5 * 8 - 100}" in out,
      f"truncated: {out}")
for bad, value in [("nan", np.nan), ("inf", -np.inf)]:
    path = os.path.join(scratch, f"{bad}.npy")
    poisoned = base.copy()
    poisoned[7, 2] = value
    np.save(path, np.asfortranarray(poisoned))
    got, error = read("npy", "inputs", path, 5, "0+37")
    check(got is None and error.startswith(f"error: {path}: row 7, column 2: value is not finite"),
          f"{bad}: {error}")
    got, error = read("npy", "inputs", path, 5, "0,1,8,9")  # the bad row is not read
    check(got is not None and np.array_equal(got, base[[0, 1, 8, 9]]), f"{bad} other rows: {error}")
missing = os.path.join(scratch, "missing.npy")
for role in ["inputs", "targets"]:
    got, error = read("npy", role, missing, 5, "0")
    check(error == f"error: {missing}: cannot open {role} file: No such file or directory",
          f"missing {role}: {error}")
out = shape("npy", "targets", missing)
check(out == f"error: {missing}: cannot open targets file: No such file or directory", f"missing shape: {out}")
got, error = read("npy", "inputs", os.path.join(scratch, "c_f8.npy"), 4, "0")
check(got is None and "has 5 columns, expected 4" in error, f"column mismatch: {error}")
got, error = read("npy", "inputs", os.path.join(scratch, "c_f8.npy"), 5, "36,37")
check(got is None and "has 37 rows, row 37 was asked for" in error, f"row out of range: {error}")

# --- .csv files ---------------------------------------------------------------
values = np.round(rng.standard_normal((9, 3)), 6)
body = "\n".join(",".join(repr(float(v)) for v in row) for row in values)
csv_cases = {
    "plain.csv": body + "\n",
    "header.csv": "a,b, c\n" + body + "\n\n\n",
    "crlf.csv": "x1,x2,x3\r\n" + body.replace("\n", "\r\n") + "\r\n",
    "spaces.csv": "\n" + "\n".join(" , ".join(repr(float(v)) for v in row) for row in values),
    # A UTF-8 byte order mark is not data, with or without a header row.
    "bom.csv": "\ufeff" + body + "\n",
    "bom_header.csv": "\ufeffa,b,c\n" + body + "\n",
    # A first value of any length is a number, not a header.
    "long_first.csv": body.replace(repr(float(values[0, 0])),
                                   repr(float(values[0, 0])) + "0" * 200, 1) + "\n",
}
for name, text in csv_cases.items():
    path = os.path.join(scratch, name)
    with open(path, "w", newline="", encoding="utf-8") as file:
        file.write(text)
    check(shape("csv", "inputs", path) == (9, 3), f"{name}: shape {shape('csv', 'inputs', path)}")
    for rows in [list(range(9)), [0, 4, 8], [5]]:
        got, error = read("csv", "inputs", path, 3, rows_text(rows))
        check(got is not None and np.array_equal(got, values[rows]), f"{name}: rows {rows}: {error}")
# numpy's own CSV writer, with a header row.
path = os.path.join(scratch, "numpy.csv")
np.savetxt(path, base, delimiter=",", header="f0,f1,f2,f3,f4", comments="", fmt="%.17g")
got, error = read("csv", "inputs", path, 5, "0+37")
check(got is not None and np.array_equal(got, base), f"savetxt csv: {error}")
# Errors give file:line.
csv_errors = {
    "ragged.csv": ("a,b,c\n1,2,3\n4,5\n", ":3: row has 2 fields, expected 3 (as on line 1)"),
    "ragged_late.csv": ("1,2,3\n4,5,6\n7,8,9,10\n", ":3: row has 4 fields, expected 3"),
    "word.csv": ("1,2,3\n4,five,6\n", ":2: field 2 is not a number"),
    "empty_field.csv": ("1,2,3\n4,,6\n", ":2: field 2 is not a number"),
    "nan.csv": ("a,b\n1,2\n3,nan\n", ":3: row 1, column 1: value is not finite"),
    "empty.csv": ("x,y\n\n", ": no data rows"),
    # The header rule: a first row with a number in it is data, so a typo or
    # a mix of text and numbers there is an error, never a dropped "header".
    "typo_first.csv": ("1.0.0,2,3\n4,5,6\n", ":1: field 1 is not a number ('1.0.0')"),
    "typo_single.csv": ("1.0.0\n2\n3\n", ":1: field 1 is not a number ('1.0.0')"),
    "mixed_first.csv": ("x,2,3\n4,5,6\n", ":1: field 1 is not a number ('x'), but other fields"),
    "typo_later.csv": ("1,2,3\n4,5.5.5,6\n", ":2: field 2 is not a number ('5.5.5')"),
    "nul.csv": ("1,2,3\n4,5\x006\n7,8,9\n", ":2: row contains a NUL byte"),
}
for name, (text, fragment) in csv_errors.items():
    path = os.path.join(scratch, name)
    with open(path, "w") as file:
        file.write(text)
    cols = 2 if name in ("nan.csv", "empty.csv") else 1 if name == "typo_single.csv" else 3
    if name == "empty.csv":
        got, error = None, shape("csv", "inputs", path)
    else:
        got, error = read("csv", "inputs", path, cols, "0+2")
    check(got is None and error.startswith(f"error: {path}") and fragment in error, f"{name}: {error}")
missing = os.path.join(scratch, "missing.csv")
check(shape("csv", "targets", missing) == f"error: {missing}: cannot open targets file: No such file or directory",
      "missing csv")
check(shape("csv", "data", missing) == f"error: {missing}: cannot open data file: No such file or directory",
      "missing csv without role")

# --- synthetic data against an independent model of core/random.c ----------
MASK = (1 << 64) - 1


def mix64(z):
    z = (z + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def uniform(seed, stream, index):
    bits = mix64(mix64(mix64(seed) ^ stream) ^ index)
    return ((bits >> 11) + 0.5) * 2.0 ** -53


def normal(seed, stream, index):
    sub = stream ^ 0x6A09E667F3BCC909
    u1, u2 = uniform(seed, sub, 2 * index), uniform(seed, sub, 2 * index + 1)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


STREAM_INPUTS, STREAM_TARGETS, STREAM_SINE = 0x1001, 0x1002, 0x1003


def synthetic(kind, seed, n, dim, rows):
    if os.path.exists(OUT):
        os.remove(OUT)
    rc, out = run("inputs", kind, seed, n, dim, rows, OUT)
    check(rc == 0, f"synthetic {kind}: {out}")
    return np.load(OUT) if rc == 0 else np.zeros((0, dim))


n, dim, seed = 40, 6, 12345
model = np.array([[normal(seed, STREAM_INPUTS, i * dim + j) for j in range(dim)] for i in range(n)])
gaussian = synthetic("gaussian", seed, n, dim, f"0+{n}")
check(gaussian.shape == (n, dim) and np.allclose(gaussian, model, rtol=1e-14, atol=1e-14),
      f"gaussian inputs vs model: max diff {np.max(np.abs(gaussian - model)) if gaussian.shape == model.shape else 'shape'}")
for rows in [[0], [3, 4, 5], [1, 17, 39], list(range(20, 40))]:
    subset = synthetic("gaussian", seed, n, dim, rows_text(rows))
    check(np.array_equal(subset, gaussian[rows]), f"gaussian subset {rows[:3]} differs from the full set")
other_seed = synthetic("gaussian", seed + 1, n, dim, f"0+{n}")
check(not np.any(other_seed == gaussian), "another seed must give other values")
sphere = synthetic("sphere", seed, n, dim, f"0+{n}")
norms = np.linalg.norm(sphere, axis=1)
check(np.allclose(norms, math.sqrt(dim), rtol=1e-13), f"sphere norms {norms[:3]}")
check(np.allclose(sphere, model / np.linalg.norm(model, axis=1, keepdims=True) * math.sqrt(dim), rtol=1e-13),
      "sphere = normalised gaussian rows")
check(np.array_equal(synthetic("sphere", seed, n, dim, "5,6,30"), sphere[[5, 6, 30]]), "sphere subset")
# Moments over a bigger sample: a wrong transform would show here.
sample = synthetic("gaussian", 7, 4000, 5, "0+4000").ravel()
check(abs(sample.mean()) < 0.05 and abs(sample.std() - 1) < 0.03, f"gaussian moments {sample.mean()}, {sample.std()}")


def targets(kind, seed, k, input_kind, input_seed, n, dim, rows):
    xs = os.path.join(scratch, "x.npy")
    rc, out = run("targets", kind, seed, k, input_kind, input_seed, n, dim, rows, OUT, xs)
    check(rc == 0, f"targets {kind}: {out}")
    return (np.load(OUT), np.load(xs)) if rc == 0 else (np.zeros((0, k)), np.zeros((0, dim)))


k = 3
y, x = targets("gaussian", 99, k, "gaussian", seed, n, dim, f"0+{n}")
model_y = np.array([[normal(99, STREAM_TARGETS, i * k + o) for o in range(k)] for i in range(n)])
check(np.allclose(y, model_y, rtol=1e-14, atol=1e-14), "gaussian targets vs model")
check(np.array_equal(targets("gaussian", 99, k, "gaussian", seed, n, dim, "2,9")[0], y[[2, 9]]),
      "gaussian targets subset")
y_same_seed, _ = targets("gaussian", seed, dim, "gaussian", seed, n, dim, f"0+{n}")
check(not np.allclose(y_same_seed, x), "gaussian targets must not repeat the inputs' stream")
y, x = targets("sine", 5, k, "sphere", seed, n, dim, f"0+{n}")
directions = np.array([[normal(5, STREAM_SINE, o * dim + j) for j in range(dim)] for o in range(k)])
check(np.allclose(y, np.sin(x @ directions.T / math.sqrt(dim)), rtol=1e-13, atol=1e-14),
      "sine targets vs sin(<a_o, x>/sqrt(dim))")
check(np.array_equal(targets("sine", 5, k, "sphere", seed, n, dim, "0,10,39")[0], y[[0, 10, 39]]),
      "sine targets subset")

if failures:
    print(f"{len(failures)} failure(s)")
    sys.exit(1)
print("ok: data checks")
