# A full disk must end the run with exit 5 and one line naming the file, and
# leave neither that file under its final name nor a PATH.partial behind: for
# the MPI-IO writers (theta.npy, eigenvectors.npy), the stdio writers
# (eigenvalues.npy and the text outputs) and the checkpoint writer. The disk
# is a 1 MiB tmpfs (needs root, as in the CI container); where mounting is not
# allowed, the stdio case falls back to /dev/full and the MPI-IO cases are
# skipped with the reason printed.
. "$NTK_TESTS_DIR/lib.sh"
disk="$PWD/scratch-io_full_disk/disk"
umount "$disk" 2>/dev/null # left mounted by a run that was killed
dir=$(scratch io_full_disk)
job="$NTK_TESTS_DIR/e2e/small.yaml"
mkdir -p "$disk"

mounted=0
if mount -t tmpfs -o size=1M tmpfs "$disk" 2>"$dir/mount.log"; then
    mounted=1
    trap 'umount "$disk" 2>/dev/null' EXIT
fi

# no_leftovers OUT NAME: neither OUT/NAME nor any *.partial anywhere under OUT.
no_leftovers() {
    local out=$1 name=$2
    [ ! -e "$out/$name" ] || fail "$name exists under its final name after a failed write"
    local left
    left=$(find "$out" -name '*.partial*' 2>/dev/null)
    [ -z "$left" ] || fail "partial files left behind: $left"
}

if [ $mounted -eq 1 ]; then
    # Theta of 400 x 400 is 1.28 MB: more than the disk holds.
    out="$disk/theta"
    expect_error 5 "$out/theta\.npy: cannot write.*No space left on device" 2 \
        run "$job" --set data.inputs.n=400 --out "$out" --quiet
    no_leftovers "$out" theta.npy
    pass "theta.npy on a full disk: exit 5, no theta.npy, no .partial"

    rm -rf "$disk"/*
    out="$disk/vectors"
    expect_error 5 "$out/eigenvectors\.npy: cannot write.*No space left on device" 2 \
        run "$job" --set data.inputs.n=400 --set output.theta=false --out "$out" --quiet
    no_leftovers "$out" eigenvectors.npy
    pass "eigenvectors.npy on a full disk: exit 5, no eigenvectors.npy, no .partial"

    # A checkpoint after every assembly step, into the small disk; the
    # outputs themselves go to the roomy scratch folder.
    rm -rf "$disk"/*
    out="$dir/checkpointed"
    expect_error 5 "$disk/ck/theta\.ckpt: cannot write.*No space left on device" 2 \
        run "$NTK_TESTS_DIR/checkpoint/restart.yaml" --set data.inputs.n=400 \
        --set "grid.shape=[1,2]" --set checkpoint.every=0.000001s --set "checkpoint.dir=$disk/ck" \
        --out "$out" --quiet
    no_leftovers "$disk/ck" theta.ckpt
    [ ! -e "$out/theta.npy" ] || fail "theta.npy written although the checkpoint write failed"
    pass "checkpoint on a full disk: exit 5, no theta.ckpt, no .partial"

    # Small stdio outputs: fill the disk completely first.
    rm -rf "$disk"/*
    dd if=/dev/zero of="$disk/filler" bs=4096 >/dev/null 2>&1
    out="$disk/text"
    mkdir -p "$out" 2>/dev/null || true
    log="$dir/text.log"
    timeout 120 bash -c '"$@"' _ ntk_launch 2 run "$job" --set output.theta=false \
        --set spectrum.vectors=false --out "$out" --quiet >"$log" 2>&1
    rc=$?
    [ $rc -eq 5 ] || fail "text outputs on a full disk: exit $rc, expected 5: $(cat "$log")"
    line=$(grep '^ntkgram: error:' "$log")
    [ "$(printf '%s\n' "$line" | wc -l)" -eq 1 ] || fail "expected one error line: $(cat "$log")"
    named=$(printf '%s\n' "$line" | sed -nE "s|^ntkgram: error: $out/([^:]+): cannot .*|\1|p")
    [ -n "$named" ] || fail "the error does not name a file in $out: $line"
    no_leftovers "$out" "$named"
    pass "stdio output on a full disk: exit 5, '$named' named and absent, no .partial"
else
    echo "note: cannot mount a tmpfs ($(cat "$dir/mount.log")): the MPI-IO and checkpoint" \
         "full-disk cases are SKIPPED; testing the stdio writer with /dev/full instead"
    out="$dir/devfull"
    mkdir -p "$out"
    ln -s /dev/full "$out/eigenvalues.npy.partial"
    expect_error 5 "$out/eigenvalues\.npy: cannot write.*No space left on device" 2 \
        run "$job" --set output.theta=false --set spectrum.vectors=false --out "$out" --quiet
    no_leftovers "$out" eigenvalues.npy
    pass "eigenvalues.npy into /dev/full: exit 5, no eigenvalues.npy, no .partial"
fi

# test_predictions.npy (issue 19): 3 slices x 300 test inputs, more than
# stdio's buffer, so the data's fwrite itself fails (not the flush): the
# error names the file and the errno. Into /dev/full, which needs no mount.
out="$dir/predictions"
mkdir -p "$out"
py - "$dir" <<'PY'
import sys, numpy as np
r = np.random.default_rng(2)
for name, n in (("x", 40), ("x_test", 300)):
    np.save(f"{sys.argv[1]}/{name}.npy", r.standard_normal((n, 3)))
np.save(f"{sys.argv[1]}/y.npy", r.standard_normal((40, 1)))
PY
cat > "$dir/predict.yaml" <<YAML
data: {inputs: $dir/x.npy, targets: $dir/y.npy, test_inputs: $dir/x_test.npy}
model: {layers: [{dense: 8}, relu, {dense: 1}]}
predict: {steps: [0, 10]}
output: {plot: false}
YAML
ln -s /dev/full "$out/test_predictions.npy.partial"
for ranks in serial 2; do
    expect_error 5 "^ntkgram: error: $out/test_predictions\.npy: cannot write: No space left on device$" \
        "$ranks" run "$dir/predict.yaml" --out "$out" --quiet
    [ ! -e "$out/test_predictions.npy" ] || fail "test_predictions.npy exists after a failed write"
    ln -sf /dev/full "$out/test_predictions.npy.partial"
done
pass "test_predictions.npy into /dev/full: exit 5, the errno named, no test_predictions.npy"
