# predict.solver cg (src/predict/cg/) against numpy.linalg.solve on the
# written matrices, predict.f0 zero, trace and full kernels:
#  (1) stored Theta with each preconditioner (none, nystrom,
#      pivoted_cholesky) on 1-4 ranks, and matrix-free products (Theta never
#      assembled) with each (nystrom with a power step), agree with numpy
#      to within predict.tol times the condition number, and cg.csv ends
#      below the tolerance; plan sizes the matrix-free job of
#      jobs/regression-100k.yaml without Theta;
#  (2) on an ill-conditioned analytic kernel (N = 1000 points of the plane,
#      ridge 1e-4) a rank-150 preconditioner needs at least 5 times fewer
#      iterations than none (both printed; measured 189 against 1650), and
#      fewer again with predict.preconditioner_power 1;
#  (3) refusals: negative predict.tol, a preconditioner rank that is not
#      positive or above M (validate, naming file:line:col), and a solve that
#      does not converge within predict.max_iterations (exit 8, the residual
#      reached in the error, no test_predictions.npy).
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch predict_cg)
cd "$dir"
ref="$NTK_TESTS_DIR/predict/cg_reference.py"
py "$ref" make . 240 6 2 30 || fail "reference data"

cat > job.yaml <<JOB
data: {inputs: inputs.npy, targets: targets.npy, test_inputs: test_inputs.npy}
model:
  layers: [{dense: 24}, tanh, {dense: 2}]
grid: {block: 16}
spectrum: {solver: none}
predict: {solver: cg, ridge: 1.0e-3, f0: zero, preconditioner: nystrom, preconditioner_rank: 40,
          tol: 1.0e-10}
output: {dir: out, theta: true, test_theta: true, plot: true}
JOB

run() { local ranks=$1 out=$2; shift 2
    log=$(ntk $ranks run job.yaml --out "$out" "$@" 2>&1) || fail "$out on $ranks: $log"; }
run serial stored-nystrom-1
run 2 stored-nystrom-2
run 4 stored-nystrom-4
run 2 stored-none --set predict.preconditioner=none
run 3 stored-pivoted --set predict.preconditioner=pivoted_cholesky
for out in stored-nystrom-1 stored-nystrom-2 stored-nystrom-4 stored-none stored-pivoted; do
    py "$ref" check $out stored-nystrom-1 1e-3 1e-10 0 || fail "$out against numpy"
done
[ -s stored-nystrom-2/cg.svg ] || fail "no cg.svg"
grep -q "iterations: " stored-nystrom-2/summary.yaml || fail "summary.yaml has no iterations"
pass "stored Theta: none, nystrom (1, 2, 4 ranks), pivoted_cholesky agree with numpy"

run serial mf-none --set predict.operator=matrix_free --set predict.preconditioner=none \
    --set output.theta=false
run 2 mf-nystrom --set predict.operator=matrix_free --set output.theta=false \
    --set predict.preconditioner_power=1
run 3 mf-pivoted --set predict.operator=matrix_free --set output.theta=false \
    --set predict.preconditioner=pivoted_cholesky
for out in mf-none mf-nystrom mf-pivoted; do
    [ ! -e $out/theta.npy ] || fail "$out wrote theta.npy"
    grep -q "none (matrix_free)" $out/summary.yaml || fail "$out assembled Theta"
    py "$ref" check $out stored-nystrom-1 1e-3 1e-10 0 || fail "$out against numpy"
done
# plan sizes the matrix-free run without Theta (jobs/regression-100k.yaml:
# Theta would be 40 GB per rank).
plan=$("$NTKGRAM" plan "$NTK_SOURCE_DIR/jobs/regression-100k.yaml" --ranks 2 2>&1) \
    || fail "plan of jobs/regression-100k.yaml: $plan"
echo "$plan" | grep -Eq "^ +theta +0 B" || fail "plan counts Theta for matrix-free cg: $plan"
echo "$plan" | grep -q "predict   cg on J (J^T V) products" || fail "plan without the cg line: $plan"
echo "$plan" | grep -Eq "^ +peak +[0-9.]+ (MiB|GiB)" || fail "plan peak not in MiB or GiB: $plan"
# The preconditioner's build holds 5 x own rows x rank doubles (50,000 own
# rows, rank 500 on 2 ranks: 953.7 MiB) besides the CG vectors.
echo "$plan" | awk '/^ +solver workspace/ { mib = $4 == "GiB" ? $3 * 1024 : $3; ok = mib >= 953.7 }
                    END { exit ok ? 0 : 1 }' || fail "plan leaves out the preconditioner's build: $plan"
run 2 full-stored --set kernel.outputs=full
run 2 full-mf --set kernel.outputs=full --set predict.operator=matrix_free \
    --set predict.preconditioner=pivoted_cholesky --set output.theta=false
py "$ref" check full-stored full-stored 1e-3 1e-10 1 || fail "full stored against numpy"
py "$ref" check full-mf full-stored 1e-3 1e-10 1 || fail "full matrix-free against numpy"
pass "matrix-free products (trace and full; none, nystrom, pivoted_cholesky) agree with numpy"

# (2) The ill-conditioned case.
cat > analytic.yaml <<JOB
data: {inputs: {synthetic: gaussian, n: 1000, dim: 2, seed: 3},
       targets: {synthetic: sine, seed: 4},
       test_inputs: {synthetic: gaussian, n: 10, dim: 2, seed: 5}}
kernel: {kind: analytic}
model: {layers: [{dense: 64}, relu, {dense: 64}, relu, {dense: 1}]}
spectrum: {solver: none}
predict: {solver: cg, ridge: 1.0e-4, f0: zero, preconditioner_rank: 150, max_iterations: 20000}
output: {dir: out, plot: false}
JOB
log=$(ntk 2 run analytic.yaml --out ill-nystrom 2>&1) || fail "ill-conditioned nystrom: $log"
log=$(ntk 2 run analytic.yaml --out ill-none --set predict.preconditioner=none 2>&1) \
    || fail "ill-conditioned none: $log"
with=$(py "$ref" iterations ill-nystrom) without=$(py "$ref" iterations ill-none)
[ "$without" -ge $((5 * with)) ] \
    || fail "nystrom rank 150 took $with iterations, none $without: not 5 times fewer"
log=$(ntk 2 run analytic.yaml --out ill-power --set predict.preconditioner_power=1 2>&1) \
    || fail "ill-conditioned nystrom with a power step: $log"
echo "$log" | grep -q "1 power step" || fail "no power step in the log: $log"
power=$(py "$ref" iterations ill-power)
[ "$power" -lt "$with" ] || fail "a power step took $power iterations, $with without it"
pass "ill-conditioned analytic kernel, N = 1000: $with iterations with nystrom rank 150, $power with a power step, $without without"

# (3) Refusals, at the key's line and column in the job file.
sed 's/tol: 1.0e-10}/tol: -1.0e-8}/' job.yaml > bad-tol.yaml
expect_error 3 'bad-tol.yaml:7:[0-9]+: predict.tol: must be a number > 0' serial validate bad-tol.yaml
sed 's/preconditioner_rank: 40,/preconditioner_rank: -3,/' job.yaml > bad-rank.yaml
expect_error 3 'bad-rank.yaml:6:[0-9]+: predict.preconditioner_rank' serial validate bad-rank.yaml
sed 's/preconditioner_rank: 40,/preconditioner_rank: 500,/' job.yaml > big-rank.yaml
expect_error 3 'big-rank.yaml:6:[0-9]+: predict.preconditioner_rank: 500 is larger than M = 240' \
    serial validate big-rank.yaml
expect_error 3 'predict.tol: must be a number > 0' serial validate job.yaml --set predict.tol=-1
expect_error 8 'did not converge: relative residual [0-9.e+-]+ after predict.max_iterations 3' \
    2 run job.yaml --out unconverged --set predict.max_iterations=3 \
    --set predict.preconditioner=none
[ ! -e unconverged/test_predictions.npy ] || fail "test_predictions.npy after no convergence"
pass "refusals: negative tol, rank 0 and above M at validate; no convergence exits 8"
