# A 3-point sweep writes 3 point directories and a 3-row sweep.csv that agrees
# with each point's own eigenvalues; a rerun skips every finished point
# (log line, unchanged files); --point I runs point I alone and sweep.csv is
# rebuilt from the finished points without losing rows; --point out of range
# is a usage error; a point equals the same job run on its own.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch sweep)
cd "$dir"
job="$NTK_TESTS_DIR/sweep/sweep.yaml"

log=$(ntk 2 run "$job" 2>&1) || fail "sweep run: $log"
for seed in 0 1 2; do
    [ -s "out/model.seed=$seed/summary.yaml" ] || fail "no point directory for seed $seed: $(ls out)"
    [ -s "out/model.seed=$seed/point.csv" ] || fail "no point.csv for seed $seed"
done
[ "$(ls out | grep -c '^model.seed=')" -eq 3 ] || fail "expected 3 point directories: $(ls out)"
py "$NTK_TESTS_DIR/sweep/check_table.py" out 0 1 2 || fail "sweep.csv"
ls out | grep -q partial && fail "partial files left in out/"

# The point equals the job run alone with the same value.
sed -e '/^sweep:/,$d' "$job" > single.yaml
log=$(ntk serial run single.yaml --set model.seed=1 --out single 2>&1) || fail "single run: $log"
py - out/model.seed=1/eigenvalues.npy single/eigenvalues.npy <<'PY' || fail "point 1 differs from a run of its own"
import sys, numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
assert np.allclose(a, b, rtol=1e-12, atol=1e-12 * abs(b).max()), (a[:3], b[:3])
PY

# Rerun: everything is skipped and nothing is rewritten.
before=$(stat -c '%Y.%y' out/model.seed=*/summary.yaml out/model.seed=*/eigenvalues.npy)
sleep 1
log=$(ntk serial run "$job" 2>&1) || fail "rerun: $log"
for point in 0 1 2; do
    echo "$log" | grep -q "point $point already complete, skipping" || fail "rerun does not skip point $point: $log"
done
after=$(stat -c '%Y.%y' out/model.seed=*/summary.yaml out/model.seed=*/eigenvalues.npy)
[ "$before" = "$after" ] || fail "rerun rewrote finished points"
py "$NTK_TESTS_DIR/sweep/check_table.py" out 0 1 2 || fail "sweep.csv after the rerun"
pass "3-point sweep, table, rerun skips"

# Job-array style: points run one by one into a fresh directory.
log=$(ntk 2 run "$job" --point 1 --out array 2>&1) || fail "--point 1: $log"
[ "$(ls array | grep -c '^model.seed=')" -eq 1 ] || fail "--point 1 ran other points: $(ls array)"
[ -d array/model.seed=1 ] || fail "--point 1 wrote no model.seed=1"
py "$NTK_TESTS_DIR/sweep/check_table.py" array 1 || fail "sweep.csv after --point 1"
log=$(ntk serial run "$job" --point 2 --out array 2>&1) || fail "--point 2: $log"
py "$NTK_TESTS_DIR/sweep/check_table.py" array 1 2 || fail "sweep.csv after --point 1, 2"
log=$(ntk serial run "$job" --point 1 --out array 2>&1) || fail "--point 1 again: $log"
echo "$log" | grep -q "point 1 already complete, skipping" || fail "--point 1 rerun not skipped: $log"
log=$(ntk 2 run "$job" --out array 2>&1) || fail "completing the array sweep: $log"
echo "$log" | grep -q "point 0 already complete" && fail "point 0 was never run but is skipped"
py "$NTK_TESTS_DIR/sweep/check_table.py" array 0 1 2 || fail "sweep.csv after completing"
pass "--point runs one point; sweep.csv collects all finished points"

# Two keys: names list both values in key order; 3 x 2 = 6 points.
{ cat "$job"; echo '  model.layers[0].dense: [8, 32]'; } > two.yaml
log=$(ntk 2 run two.yaml --out two 2>&1) || fail "two-key sweep: $log"
[ "$(ls two | grep -c '^model')" -eq 6 ] || fail "expected 6 point directories: $(ls two)"
[ -d "two/model.seed=2,model.layers_0_.dense=32" ] || fail "point names: $(ls two)"
py "$NTK_TESTS_DIR/sweep/check_table.py" two 0 1 2 3 4 5 || fail "two-key sweep.csv"
pass "two-key sweep"

expect_error 2 "--point 3: the job has 3 sweep points" serial run "$job" --point 3 --out bad
