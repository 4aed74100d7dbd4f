# Sweep point folders never collide: values that map to the same safe name
# (npy/a.npy and npy_a.npy) get distinct folders and distinct sweep.csv rows,
# and a folder counts as complete only when its point.csv names that very
# point (index and exact values), so another point's results are never taken
# for it. (Before: the second point was "already complete" and sweep.csv
# repeated the first row.)
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch sweep_collide)
cd "$dir"
mkdir -p npy
py - <<'PY' || fail "making data"
import numpy as np
np.save("npy/a.npy", np.random.default_rng(0).standard_normal((10, 3)))
np.save("npy_a.npy", np.random.default_rng(1).standard_normal((14, 3)))
PY
printf '%s\n' 'data: {inputs: npy/a.npy}' 'model: {layers: [{dense: 8}, relu, {dense: 1}]}' \
    'grid: {block: 4}' 'output: {dir: out, plot: false}' \
    'sweep: {data.inputs: [npy/a.npy, npy_a.npy]}' > job.yaml

log=$(ntk 2 run job.yaml 2>&1) || fail "sweep: $log"
echo "$log" | grep -q "already complete" && fail "a point was skipped in a fresh sweep: $log"
[ "$(ls out | grep -c '^data.inputs=')" -eq 2 ] || fail "expected 2 point folders: $(ls out)"
py - <<'PY' || fail "sweep.csv"
import csv
rows = list(csv.DictReader(open("out/sweep.csv")))
got = [(r["point"], r["data.inputs"], r["N"]) for r in rows]
assert got == [("0", "npy/a.npy", "10"), ("1", "npy_a.npy", "14")], got
PY
pass "colliding values get their own folders and rows"

# Identity: put point 0's results into point 1's folder; the rerun must run
# point 1 again instead of trusting them, and skip point 0.
one=$(ls out | grep '^data.inputs=npy_a.npy$') || fail "no folder named data.inputs=npy_a.npy: $(ls out)"
zero=$(ls out | grep '^data.inputs=' | grep -v '^data.inputs=npy_a.npy$')
cp "out/$zero/point.csv" "out/$zero/summary.yaml" "out/$one/"
log=$(ntk serial run job.yaml 2>&1) || fail "rerun: $log"
echo "$log" | grep -q "point 0 already complete" || fail "point 0 was not skipped: $log"
echo "$log" | grep -q "point 1 already complete" && fail "point 1 was taken from another point's files: $log"
py - <<'PY' || fail "sweep.csv after the rerun"
import csv
rows = list(csv.DictReader(open("out/sweep.csv")))
assert [(r["point"], r["N"]) for r in rows] == [("0", "10"), ("1", "14")], rows
PY
pass "completion is judged by the point's own identity"

# The point's job is part of its identity: the same sweep with another
# model (an edited job file, or other --set options) runs every point again
# instead of keeping results computed for the old one; run again unchanged,
# it skips them.
before=$(cut -d, -f4 out/sweep.csv | tail -n +2 | tr '\n' ' ')
log=$(ntk 2 run job.yaml --set "model.layers[0].dense=16" 2>&1) || fail "changed job: $log"
echo "$log" | grep -q "already complete" && fail "points of another model were skipped: $log"
after=$(cut -d, -f4 out/sweep.csv | tail -n +2 | tr '\n' ' ')
[ "$before" != "$after" ] || fail "sweep.csv kept the old lambda_max values: $after"
log=$(ntk 2 run job.yaml --set "model.layers[0].dense=16" 2>&1) || fail "unchanged rerun: $log"
[ "$(echo "$log" | grep -c "already complete")" -eq 2 ] || fail "an unchanged rerun ran points again: $log"
pass "a changed job reruns its points; an unchanged one skips them"
