#!/usr/bin/env bash
# A distributed matrix whose .npy file is over 2 GiB (16500 x 16500 float64,
# 2.03 GiB, on 2 ranks with a 1 x 2 grid), checked by sampling entries with
# np.memmap. Needs about 2.2 GB of memory and of disk; removes its file.
. "$NTK_TESTS_DIR/lib.sh"
dir=$(scratch matrix_npy_large)
trap 'rm -rf "$dir"' EXIT
path="$dir/large.npy"
n=16500
out=$("$NTK_MPIEXEC" --oversubscribe -n 2 "$PWD/output_matrix_tool" 1 2 row-major $n $n 64 "$path" 2>&1) \
    || fail "writing the large matrix: $out"
size=$(stat -c %s "$path")
[ "$size" -gt 2147483648 ] || fail "file is only $size bytes"
py - "$path" $n <<'PY' || fail "numpy check of the large file"
import sys
import numpy as np
path, n = sys.argv[1], int(sys.argv[2])
mapped = np.load(path, mmap_mode="r")
assert mapped.shape == (n, n) and mapped.dtype == np.float64
rng = np.random.default_rng(1)
i = np.concatenate([rng.integers(0, n, 20000), [0, n - 1, n - 1, 0, 13000, 16499]])
j = np.concatenate([rng.integers(0, n, 20000), [0, n - 1, 0, n - 1, 16499, 13000]])
expected = 100003.0 * i + j
got = mapped[i, j]
assert np.array_equal(got, expected), np.argwhere(got != expected)[:5]
# The last full column sits past the 2 GiB mark: check it whole.
assert np.array_equal(mapped[:, n - 1], 100003.0 * np.arange(n) + (n - 1))
print(f"ok: {len(i)} sampled entries and the last column of a {n} x {n} file")
PY
pass "large distributed .npy write ($size bytes)"
