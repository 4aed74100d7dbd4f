# predict.solver (src/predict/linear_solver.h): cholesky and eigen against
# numpy.linalg.solve on the gathered matrices, to 1e-10, with a ridge, for
# trace and full kernels, empirical and analytic, on 1 to 4 ranks;
# predict.f0: zero against numpy's kernel regression on theta.npy; the
# refusal of a singular Theta (pivot and a suggested ridge that works, exit
# 8, no prediction file) and predict.jitter: auto (reported in the log and
# summary.yaml, with a backward error below 1e-12); spectrum.solver none runs
# no eigensolve at all.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch linear_solvers)
cd "$dir"
ref="$NTK_TESTS_DIR/predict/reference.py"
lin="$NTK_TESTS_DIR/predict/linear_reference.py"
py "$ref" make . || fail "reference data"

cat > job.yaml <<JOB
data: {inputs: inputs.npy, targets: targets.npy, test_inputs: test_inputs.npy,
       test_targets: test_targets.npy}
model:
  layers: [{dense: 16}, tanh, {dense: 12}, relu, {dense: 3}]
  parameterization: standard
  weights: weights.safetensors
grid: {block: 4}
dynamics: {learning_rate: 0.5}
predict: {ridge: 0.01}
output: {dir: out, theta: true, test_theta: true, plot: false}
JOB

for outputs in trace full; do
    full=$([ $outputs = full ] && echo 1 || echo 0)
    rank_counts="serial 2 3 4"
    [ $outputs = full ] && rank_counts="serial 3"
    for ranks in $rank_counts; do
        log=$(ntk $ranks run job.yaml --set kernel.outputs=$outputs --set spectrum.solver=none \
              --out chol-$outputs-$ranks 2>&1) || fail "cholesky $outputs on $ranks: $log"
        printf '%s\n' "$log" | grep -q "eigensolve" && fail "spectrum.solver none ran an eigensolve: $log"
        [ -e chol-$outputs-$ranks/eigenvalues.npy ] && fail "eigenvalues.npy without an eigensolve"
        grep -q "name: cholesky" chol-$outputs-$ranks/summary.yaml || fail "auto did not pick cholesky"
        py "$lin" solve chol-$outputs-$ranks . $full network 0 0.01 || fail "cholesky $outputs $ranks"
        log=$(ntk $ranks run job.yaml --set kernel.outputs=$outputs --set predict.solver=eigen \
              --out eigen-$outputs-$ranks 2>&1) || fail "eigen $outputs on $ranks: $log"
        py "$lin" solve eigen-$outputs-$ranks . $full network 0 0.01 || fail "eigen $outputs $ranks"
        py "$lin" same chol-$outputs-$ranks eigen-$outputs-$ranks || fail "cholesky != eigen"
    done
done
pass "empirical trace (1-4 ranks) and full (1, 3 ranks): cholesky == eigen == numpy.linalg.solve"

# cholesky with the spectrum computed too: Theta is kept through the eigensolve.
log=$(ntk 2 run job.yaml --set predict.solver=cholesky --out chol-kept 2>&1) \
    || fail "cholesky beside the eigensolve: $log"
py "$lin" solve chol-kept . 0 network 0 0.01 || fail "cholesky beside the eigensolve"
grep -q 'why: "predict.solver: cholesky"' chol-kept/summary.yaml || fail "why of an explicit choice"
pass "cholesky beside an eigensolve (a copy of Theta kept)"

sed -e 's/parameterization: standard/parameterization: ntk/' -e '/weights:/d' \
    -e 's/^model:/kernel: {kind: analytic, nngp: true}\nmodel:\n  b_std: 0.3/' job.yaml > analytic.yaml
for ranks in serial 3; do
    log=$(ntk $ranks run analytic.yaml --set spectrum.solver=none --out analytic-chol-$ranks 2>&1) \
        || fail "analytic cholesky on $ranks: $log"
    py "$lin" solve analytic-chol-$ranks . 0 network 1 0.01 || fail "analytic cholesky $ranks"
    log=$(ntk $ranks run analytic.yaml --set predict.solver=eigen --out analytic-eigen-$ranks 2>&1) \
        || fail "analytic eigen on $ranks: $log"
    py "$lin" solve analytic-eigen-$ranks . 0 network 1 0.01 || fail "analytic eigen $ranks"
done
pass "analytic: cholesky == eigen == numpy.linalg.solve on 1 and 3 ranks"

# predict.f0: zero is plain kernel regression on the empirical Theta.
for solver in cholesky eigen; do
    log=$(ntk 2 run job.yaml --set predict.f0=zero --set predict.solver=$solver \
          --out zero-$solver 2>&1) || fail "f0 zero $solver: $log"
    py "$lin" solve zero-$solver . 0 zero 0 0.01 || fail "f0 zero by $solver"
    grep -q "f0: zero" zero-$solver/summary.yaml || fail "summary.yaml's predict.f0"
done
pass "predict.f0: zero equals numpy's kernel regression C (Theta + ridge I)^-1 y"

# A singular Theta: five training inputs twice.
py - <<'PY' || fail "duplicated inputs"
import numpy as np
x, y = np.load("inputs.npy"), np.load("targets.npy")
np.save("dup_inputs.npy", np.concatenate([x, x[:5]]))
np.save("dup_targets.npy", np.concatenate([y, y[:5]]))
PY
singular="--set data.inputs=dup_inputs.npy --set data.targets=dup_targets.npy --set predict.ridge=0 --set spectrum.solver=none"
expect_error 8 "predict.solver cholesky: Theta \+ ridge I \(ridge 0\) is not positive definite to working precision: pivot [0-9]+ of 45 failed; a predict.ridge of at least [0-9.e+-]+ .*predict.jitter: auto.*eigen" \
    2 run job.yaml $singular --out singular
[ -e singular/test_predictions.npy ] && fail "a prediction file after the refusal"
[ -e singular/predict.csv ] && fail "predict.csv after the refusal"
suggested=$(ntk 2 run job.yaml $singular --out singular 2>&1 | sed -n 's/.*predict.ridge of at least \([0-9.e+-]*\) .*/\1/p' | head -1)
[ -n "$suggested" ] || fail "no suggested ridge"
log=$(ntk 2 run job.yaml $singular --set predict.ridge=$suggested --out suggested 2>&1) \
    || fail "the suggested ridge $suggested does not work: $log"
pass "singular Theta: refused with the pivot and a ridge ($suggested) that works"

log=$(ntk 2 run job.yaml $singular --set predict.jitter=auto --out jitter 2>&1) \
    || fail "jitter auto: $log"
printf '%s\n' "$log" | grep -q "cholesky used jitter [0-9.e+-]* on the diagonal" || fail "jitter not in the log: $log"
py - <<'PY' || fail "jitter in summary.yaml"
import yaml
solver = yaml.safe_load(open("jitter/summary.yaml"))["predict"]["solver"]
assert solver["jitter"] > 0 and solver["residual"] < 1e-12, solver
PY
pass "predict.jitter: auto adds the jitter it reports (log, summary.yaml)"

expect_error 3 "predict.solver: cholesky cannot solve this job: it gives t = infinity only, but predict.steps asks for finite t" \
    serial run job.yaml --set predict.solver=cholesky --set "predict.steps=[5]" --out finite
expect_error 3 "predict: needs every eigenpair with its eigenvector, but spectrum.solver is none" \
    serial run job.yaml --set predict.solver=eigen --set spectrum.solver=none --out eigen-none
pass "refusals of solvers that cannot answer the job"
