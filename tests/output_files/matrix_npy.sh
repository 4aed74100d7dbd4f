#!/usr/bin/env bash
# output_write_dmatrix_npy on 1-4 ranks, several grids (also one whose grid
# ranks differ from the MPI ranks), block sizes and shapes; numpy (np.load,
# np.memmap) checks every element. Also: an unwritable path is one clear
# error with no hang, and stale files under both names are replaced.
. "$NTK_TESTS_DIR/lib.sh"
dir=$(scratch matrix_npy)
tool="$PWD/output_matrix_tool"

# Stale files: a longer file under the final name and a longer PATH.partial.
head -c 100000 /dev/urandom > "$dir/m_6_6_stale.npy"
head -c 100000 /dev/urandom > "$dir/m_6_6_stale.npy.partial"

bad="$dir/no/such/dir/theta.npy"
runs=(
    # ranks grid_rows grid_cols order (blacs: grid_create/dmatrix_create), then ROWS COLS BLOCK NAME per matrix
    "1 1 1 row-major 13 7 4 a 1 1 64 b 0 0 8 BAD"
    "2 1 2 row-major 10 11 3 c 20 130 64 d 6 6 2 m_6_6_stale"
    "2 2 1 row-major 31 4 5 e"
    "3 1 3 row-major 17 23 2 f 7 5 1 g 9 9 2 BAD"
    "3 3 1 row-major 40 9 4 h"
    "4 2 2 row-major 29 31 3 i 5 5 64 j"
    "4 2 2 column-major 64 64 8 k 50 3 16 l"
    "4 4 1 row-major 33 21 5 m"
    "3 1 3 blacs 26 26 4 n 19 8 3 o"
)
expected_files=0
for run in "${runs[@]}"; do
    set -- $run
    ranks=$1 grid_rows=$2 grid_cols=$3 order=$4
    shift 4
    args=() expect_errors=0
    while [ $# -ge 4 ]; do
        if [ "$4" = BAD ]; then
            args+=("$1" "$2" "$3" "$bad"); expect_errors=$((expect_errors + 1))
        else
            name="$4"; [ "${name#m_}" = "$name" ] && name="m_$1_$2_$name"
            args+=("$1" "$2" "$3" "$dir/$name.npy"); expected_files=$((expected_files + 1))
        fi
        shift 4
    done
    out=$(timeout 120 "$NTK_MPIEXEC" --oversubscribe -n "$ranks" "$tool" "$grid_rows" "$grid_cols" \
          "$order" "${args[@]}" 2>&1); rc=$?
    [ $rc -eq 124 ] && fail "hang: $run"
    errors=$(printf '%s\n' "$out" | grep -c '^error:')
    [ "$errors" -eq "$expect_errors" ] || fail "$run: expected $expect_errors errors: $out"
    if [ "$expect_errors" -gt 0 ]; then
        [ $rc -ne 0 ] || fail "$run: unwritable path accepted"
        printf '%s\n' "$out" | grep -q "^error: $bad: cannot write (open)" \
            || fail "$run: unexpected message: $out"
    else
        [ $rc -eq 0 ] || fail "$run: exit $rc: $out"
    fi
done
ls "$dir"/*.partial >/dev/null 2>&1 && fail "partial files left behind: $(ls "$dir"/*.partial)"
[ -e "$dir/no" ] && fail "the unwritable path created something"

py - "$dir" "$expected_files" <<'PY' || fail "numpy check"
import glob, os, sys
import numpy as np
files = sorted(glob.glob(os.path.join(sys.argv[1], "m_*.npy")))
assert len(files) == int(sys.argv[2]), files
for path in files:
    rows, cols = (int(v) for v in os.path.basename(path).split("_")[1:3])
    expected = 100003.0 * np.arange(rows)[:, None] + np.arange(cols)[None, :]
    loaded = np.load(path)
    assert loaded.shape == (rows, cols) and loaded.dtype == np.float64, (path, loaded.shape)
    assert np.array_equal(loaded, expected), (path, np.argwhere(loaded != expected)[:5])
    mapped = np.load(path, mmap_mode="r")
    assert np.array_equal(np.asarray(mapped), expected), path
    with open(path, "rb") as f:
        header_length = 10 + int.from_bytes(f.read(10)[8:10], "little")
    assert header_length % 64 == 0
    raw = np.memmap(path, dtype="<f8", mode="r", offset=header_length, shape=(rows, cols), order="F")
    assert np.array_equal(raw, expected), path
    assert os.path.getsize(path) == header_length + 8 * rows * cols, path
print(f"ok: {len(files)} files equal numpy's reference")
PY
rm -rf "$dir"
pass "distributed .npy writes"
