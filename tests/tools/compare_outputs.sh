# scripts/compare-outputs: a binary against itself is bit-identical (so the
# masked timings are the only run-to-run differences); a binary whose results
# move in the last bits, or that writes one more file, fails with the file named.
. "$NTK_TESTS_DIR/lib.sh"
work=$(scratch compare-outputs)
tool="$NTK_SOURCE_DIR/scripts/compare-outputs"
jobs='^(mlp-structured-trace-lapack|sweep-seeds)$'

out=$("$tool" --only "$jobs" "$NTKGRAM" "$NTKGRAM" 2>&1) || fail "same binary reported a difference: $out"
for job in mlp-structured-trace-lapack sweep-seeds; do
    echo "$out" | grep -Eq "^$job +same " || fail "no 'same' line for $job: $out"
done
echo "$out" | grep -q '^compare-outputs: all 2 jobs bit-identical' || fail "closing line: $out"

# b_std one ulp above small.yaml's 0.2 (and far from sweep.yaml's 0.1): Theta
# and everything after it move.
cat >"$work/nudged" <<WRAPPER
#!/bin/sh
exec "$NTKGRAM" "\$@" --set model.b_std=0.20000000000000004
WRAPPER
chmod +x "$work/nudged"
rc=0; out=$("$tool" --keep "$work/nudged-runs" --only "$jobs" "$NTKGRAM" "$work/nudged" 2>&1) || rc=$?
[ $rc -eq 1 ] || fail "nudged binary: exit $rc, expected 1: $out"
echo "$out" | grep -Eq '^mlp-structured-trace-lapack +DIFFERENT .*theta\.npy' || fail "theta.npy not named: $out"
echo "$out" | grep -Eq '^sweep-seeds +DIFFERENT .*sweep\.csv' || fail "sweep.csv not named: $out"

# One more output file, the same numbers.
cat >"$work/more_files" <<WRAPPER
#!/bin/sh
exec "$NTKGRAM" "\$@" --set output.params=true
WRAPPER
chmod +x "$work/more_files"
rc=0; out=$("$tool" --keep "$work/more-files-runs" --only '^mlp-structured-trace-lapack$' "$NTKGRAM" "$work/more_files" 2>&1) || rc=$?
[ $rc -eq 1 ] || fail "extra file: exit $rc, expected 1: $out"
echo "$out" | grep -Eq '^mlp-structured-trace-lapack +DIFFERENT .*file lists: > \./params\.safetensors' \
    || fail "extra file not named: $out"
pass "compare-outputs"
