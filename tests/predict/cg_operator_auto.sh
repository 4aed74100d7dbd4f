# predict.operator auto (the default): the stored Theta when it fits the
# memory per rank, else matrix-free J (J^T V) products (plan and run decide
# alike, and say so):
#  (1) plan with a --mem-per-rank below the stored Theta's peak plans the
#      products (no Theta, the reason printed, operator_why in --format
#      yaml) where it used to refuse the job; with room it keeps Theta;
#  (2) run under a limit of the same size (SLURM_MEM_PER_NODE, what
#      plan_memory_per_rank reads) assembles no Theta, says why in
#      summary.yaml, and agrees with numpy on the stored run's theta.npy;
#      predict.solver auto does the same through cg;
#  (3) what needs the assembled Theta keeps it (output.theta: the plan
#      refuses the job for the memory instead).
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch predict_cg_operator_auto)
cd "$dir"
ref="$NTK_TESTS_DIR/predict/cg_reference.py"
py "$ref" make . 1500 6 2 30 || fail "reference data"

cat > job.yaml <<JOB
data: {inputs: inputs.npy, targets: targets.npy, test_inputs: test_inputs.npy}
model:
  layers: [{dense: 24}, tanh, {dense: 2}]
grid: {block: 16}
spectrum: {solver: none}
predict: {solver: cg, ridge: 1.0e-3, f0: zero, preconditioner_rank: 40, tol: 1.0e-9}
output: {dir: out, test_theta: true}
JOB
sed 's/predict: {solver: cg, ridge: 1.0e-3, f0: zero, preconditioner_rank: 40, tol: 1.0e-9}/predict: {ridge: 1.0e-3, f0: zero}/' \
    job.yaml > auto.yaml

# (1) plan: Theta's 1500 x 1500 doubles are 8.6 MiB per rank on 2 ranks;
# the stored plan's peak is about 32 MiB, the products' about 20 MiB.
plan=$("$NTKGRAM" plan job.yaml --ranks 2 --mem-per-rank 24M 2>&1) \
    || fail "plan under 24 MiB per rank refused the job: $plan"
echo "$plan" | grep -q "predict   cg on J (J^T V) products" || fail "plan kept Theta: $plan"
echo "$plan" | grep -Eq "predict.operator auto: matrix_free, the stored Theta's plan needs [0-9.]+ MiB per rank, above the memory per rank \(24.0 MiB\)" \
    || fail "plan does not say why: $plan"
echo "$plan" | grep -Eq "^ +theta +0 B" || fail "plan counts Theta: $plan"
echo "$plan" | grep -q "memory per rank given: 24 MiB -> fits" || fail "plan does not fit: $plan"
yaml=$("$NTKGRAM" plan job.yaml --ranks 2 --mem-per-rank 24M --format yaml 2>&1) \
    || fail "plan --format yaml: $yaml"
echo "$yaml" | grep -q "^  operator_why: 'predict.operator auto: matrix_free" \
    || fail "yaml without operator_why: $yaml"
plan=$("$NTKGRAM" plan job.yaml --ranks 2 --mem-per-rank 1G 2>&1) || fail "plan 1G: $plan"
echo "$plan" | grep -q "predict   cg on J" && fail "plan multiplies although Theta fits: $plan"
echo "$plan" | grep -Eq "^ +theta +8.6 MiB" || fail "plan without Theta where it fits: $plan"
plan=$("$NTKGRAM" plan auto.yaml --ranks 2 --mem-per-rank 24M 2>&1) || fail "auto plan: $plan"
echo "$plan" | grep -q "predict.operator auto: matrix_free" \
    || fail "predict.solver auto does not multiply: $plan"
pass "plan: products below the stored Theta's peak, Theta with room, predict.solver auto too"

# (2) run: 2 ranks on one node sharing 48 MiB are 24 MiB per rank.
log=$(ntk 2 run job.yaml --out stored --set output.theta=true 2>&1) || fail "stored: $log"
grep -q 'method: "none (matrix_free)"' stored/summary.yaml && fail "stored run multiplied"
for job in job auto; do
    log=$(SLURM_MEM_PER_NODE=48 "$NTK_MPIEXEC" --oversubscribe -x SLURM_MEM_PER_NODE -n 2 \
          "$NTKGRAM" run $job.yaml --out limited-$job 2>&1) || fail "$job under 48 MiB: $log"
    grep -q 'method: "none (matrix_free)"' limited-$job/summary.yaml \
        || fail "$job assembled Theta under the limit"
    grep -q "name: cg" limited-$job/summary.yaml || fail "$job did not solve by cg"
    grep -Eq "why: .*predict.operator auto: matrix_free, the stored Theta's plan needs" \
        limited-$job/summary.yaml || fail "$job: summary.yaml does not say why"
    grep -Eq "product_seconds: [0-9]" limited-$job/summary.yaml \
        || fail "$job: summary.yaml has no product time"
done
py "$ref" check limited-job stored 1e-3 1e-9 0 || fail "cg under the limit against numpy"
py "$ref" check limited-auto stored 1e-3 1e-8 0 || fail "auto under the limit against numpy"
pass "run: no Theta under the limit, the reason in summary.yaml, the same predictions"

# (3) theta.npy needs Theta: no switch, the plan does not fit.
plan=$("$NTKGRAM" plan job.yaml --ranks 2 --mem-per-rank 24M --set output.theta=true 2>&1) \
    || fail "plan with output.theta: $plan"
echo "$plan" | grep -q "predict   cg on J" && fail "output.theta: the plan multiplies: $plan"
echo "$plan" | grep -q "memory per rank given: 24 MiB -> does NOT fit" \
    || fail "output.theta: the plan fits: $plan"
pass "output.theta keeps the stored Theta (the plan does not fit)"
