# Every number in every YAML file ntkgram writes loads as a number with
# yaml.safe_load (issue: "1e-10", "1e-05", "2.5e-07", "1e+20" loaded as
# strings): summary.yaml with its job echo for jobs that use every section
# (data with held-out points, predict, training, checkpoint, matrix_free,
# the analytic comparison), a sweep's per-point summaries and identity files,
# and plan --format yaml. Values are chosen so that %g would print them without a
# '.' ("1e-05", "1", "1e+20").
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch yaml-numbers)
cd "$dir"

cat > every.yaml <<'YAML'
name: every
data:
  inputs: {synthetic: gaussian, n: 24, dim: 3, seed: 1}
  targets: {synthetic: sine, seed: 2}
  test_inputs: {synthetic: gaussian, n: 6, dim: 3, seed: 3}
  test_targets: {synthetic: sine, seed: 2}
model:
  layers: [{dense: 16}, tanh, {dense: 1}]
  w_std: 1
  b_std: 1e-5
  seed: 4
kernel: {compare_analytic: true}
spectrum: {solver: pdsyevd}
dynamics: {learning_rate: 1e-3, steps: [0, 1, 100]}
predict: {steps: [0, 10], ridge: 1e-12, cutoff: 1e-10}
training: {steps: 4, learning_rate: 1e-05, record_every: 2}
checkpoint: {every: 100}
output: {dir: out-every, plot: false, params: true, test_theta: true, theta: true}
YAML
ntk 2 run every.yaml >run-every.log 2>&1 || { cat run-every.log; fail "run every.yaml"; }

cat > sparse.yaml <<'YAML'
name: sparse
data:
  inputs: {synthetic: sphere, n: 40, dim: 4, seed: 1}
  targets: {synthetic: gaussian, seed: 2}
model:
  layers: [{dense: 8}, relu, {dense: 1}]
  w_std: 2.5e-7
  b_std: 1e+20
spectrum: {solver: matrix_free, top: 3, tolerance: 1e-10}
output: {dir: out-sparse, plot: false}
YAML
ntk 2 run sparse.yaml >run-sparse.log 2>&1 || { cat run-sparse.log; fail "run sparse.yaml"; }

cat > sweep.yaml <<'YAML'
name: sweep
data:
  inputs: {synthetic: gaussian, n: 12, dim: 2, seed: 1}
model:
  layers: [{dense: 4}, erf, {dense: 1}]
kernel: {kind: analytic, nngp: true}
spectrum: {vectors: false}
output: {dir: out-sweep, plot: false}
sweep:
  model.w_std: [1, 1e-3]
YAML
ntk 1 run sweep.yaml >run-sweep.log 2>&1 || { cat run-sweep.log; fail "run sweep.yaml"; }

for job in every sparse sweep; do
    ntk serial plan --format yaml --ranks 2 "$job.yaml" >"plan-$job.yaml" 2>plan-$job.log ||
        { cat plan-$job.log; fail "plan --format yaml $job.yaml"; }
done

files=$(find . -name '*.yaml' -path './out-*' | sort)
[ "$(printf '%s\n' $files | grep -c summary.yaml)" -ge 4 ] || fail "expected 4 summary.yaml files, got: $files"
py "$NTK_SOURCE_DIR/tests/e2e/check_yaml_numbers.py" $files plan-*.yaml \
    out-every/summary.yaml --expect job.model.w_std=float --expect job.model.b_std=float \
    --expect job.dynamics.learning_rate=float --expect job.predict.cutoff=float \
    --expect job.predict.ridge=float --expect job.training.learning_rate=float \
    --expect job.checkpoint.every=float --expect spectrum.lambda_max=float \
    out-sparse/summary.yaml --expect job.spectrum.tolerance=float --expect job.model.w_std=float \
    --expect job.model.b_std=float \
    plan-every.yaml --expect flops.total=float --expect peak_bytes_per_rank=int ||
    fail "a YAML number loads as a string"
pass "every number in every YAML file loads as a number"
