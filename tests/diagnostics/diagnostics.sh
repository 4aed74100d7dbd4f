# Diagnostics against numpy on the gathered matrices (reference.py, 1e-10):
# both alignments, the spectral statistics, the cumulative target power,
# kappa, the predicted and measured learning curves (the same subsets from
# the same seed), with and without a ridge, for trace and full kernels and
# a top-k solve; the same numbers on 1-4 ranks and two grids
# (compare_runs.py).
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch diagnostics)
cd "$dir"
here="$NTK_TESTS_DIR/diagnostics"
py "$here/make_data.py" 120 5 2 . || fail "making the data"

cat > job.yaml <<'YAML'
name: diagnostics-reference
data:
  inputs: inputs.npy
  targets: targets.npy
model:
  layers: [{dense: 40}, relu, {dense: 40}, tanh, {dense: 2}]
grid: {block: 8}
output: {theta: true}
diagnostics:
  alignment: true
  learning_curve: [4, 30, 90, 120]
  learning_curve_repeats: 3
  learning_curve_seed: 7
YAML

log=$(ntk 2 run job.yaml --out two 2>&1) || fail "2 ranks: $log"
py "$here/reference.py" two targets.npy || fail "2 ranks against numpy"
pass "alignment, statistics, target power, kappa, learning curves against numpy"

log=$(ntk serial run job.yaml --out one 2>&1) || fail "1 rank: $log"
log=$(ntk 2 run job.yaml --out columns --set 'grid.shape=[2, 1]' 2>&1) || fail "2 x 1 grid: $log"
log=$(ntk 3 run job.yaml --out three 2>&1) || fail "3 ranks: $log"
log=$(ntk 4 run job.yaml --out four --set 'grid.shape=[2, 2]' 2>&1) || fail "4 ranks: $log"
for out in one columns three four; do
    py "$here/compare_runs.py" $out two || fail "$out differs from 2 ranks"
done
pass "1, 2 (1 x 2 and 2 x 1), 3 and 4 (2 x 2) ranks agree"

# A ridge (the delta of the kappa equation and of the regression): its own
# key, or predict.ridge by default
log=$(ntk 2 run job.yaml --out ridge --set diagnostics.learning_curve_ridge=0.05 2>&1) \
    || fail "ridge: $log"
py "$here/reference.py" ridge targets.npy || fail "ridge against numpy"
log=$(ntk 2 run job.yaml --out predict-ridge --set data.test_inputs=test_inputs.npy \
    --set predict.ridge=0.01 2>&1) || fail "predict.ridge: $log"
grep -q "learning_curve_ridge: 0.01$" predict-ridge/summary.yaml || fail "predict.ridge not the default"
py "$here/reference.py" predict-ridge targets.npy || fail "predict.ridge against numpy"
pass "learning curves with a ridge"

# The full kernel: alignment with Y Y^T in Theta's (x*k + o) indexing
sed -e '/learning_curve/d' job.yaml > full.yaml
log=$(ntk 2 run full.yaml --out full --set kernel.outputs=full 2>&1) || fail "full: $log"
py "$here/reference.py" full targets.npy full || fail "full kernel against numpy"
pass "full kernel alignment"

# spectrum.top: the learning curve runs when the top pairs hold the trace
# (the target energy outside them counts as not learned), else it is refused
log=$(ntk 2 run job.yaml --out top --set spectrum.top=110 --set spectrum.solver=pdsyevr \
    --set diagnostics.learning_curve_trace_tolerance=0.5 2>&1) || fail "top: $log"
py "$here/reference.py" top targets.npy || fail "top-k against numpy"
expect_error 3 "job.yaml:[0-9]+:[0-9]+: diagnostics.learning_curve: the 3 kept eigenvalues hold" \
    2 run job.yaml --out top3 --set spectrum.top=3 --set spectrum.solver=pdsyevr
pass "top-k learning curve, and its refusal when the pairs miss the trace"
