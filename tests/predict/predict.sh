# Held-out predictions (src/predict, src/kernel/cross.c) against independent
# numpy references on a small network with known weights:
#  (1) test_theta.npy equals J_test J_train^T by hand-written backpropagation
#      (trace and full outputs; structured and jacobian methods);
#  (2) test_predictions.npy and predict.csv equal the closed form computed by
#      numpy.linalg.eigh from theta.npy, test_theta.npy, f_0 and the targets,
#      to 1e-10 relative, at several steps and t = infinity, on 1 to 4 ranks
#      (so the ranks agree with each other to 2e-10);
#  (3) kernel.kind analytic: the cross NTK and NNGP equal the off-diagonal
#      block of the kernels of the training and test inputs together, and the
#      predictions (f_0 = 0) equal numpy's;
#  (4) class labels as test targets give the same accuracy as one-hot rows.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch predict)
cd "$dir"
ref="$NTK_TESTS_DIR/predict/reference.py"
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
predict: {steps: [0, 3, 50, 2000]}
output: {dir: out, theta: true, test_theta: true, plot: false}
JOB
steps="0 3 50 2000"

for ranks in serial 2 3 4; do
    log=$(ntk $ranks run job.yaml --out trace-$ranks 2>&1) || fail "trace run on $ranks: $log"
    py "$ref" cross trace-$ranks . trace || fail "trace cross kernel on $ranks ranks"
    py "$ref" predict trace-$ranks . 0 0 0.5 $steps || fail "trace predictions on $ranks ranks"
done
for ranks in 2 3 4; do
    compare_npy trace-serial/test_predictions.npy \
        trace-$ranks/test_predictions.npy 1e-12 || fail "predictions on $ranks ranks differ from 1 rank"
done
pass "trace kernel: cross kernel and predictions equal numpy's on 1-4 ranks, and each other's"

log=$(ntk 2 run job.yaml --set kernel.outputs=full --out full-2 2>&1) || fail "full run: $log"
py "$ref" cross full-2 . full || fail "full cross kernel"
py "$ref" predict full-2 . 1 0 0.5 $steps || fail "full predictions"
log=$(ntk 3 run job.yaml --set kernel.outputs=full --set kernel.method=jacobian \
      --set kernel.jacobian_chunk=50 --out full-jacobian 2>&1) || fail "jacobian run: $log"
py "$ref" cross full-jacobian . full || fail "jacobian cross kernel"
py "$ref" predict full-jacobian . 1 0 0.5 $steps || fail "jacobian predictions"
log=$(ntk 4 run job.yaml --set kernel.method=jacobian --out trace-jacobian 2>&1) \
    || fail "trace jacobian run: $log"
py "$ref" cross trace-jacobian . trace || fail "trace jacobian cross kernel"
pass "full kernel (structured, jacobian) and trace jacobian: cross kernel and predictions"

# Analytic: the training and test inputs together give the reference block.
py - <<'PY' || fail "joint inputs"
import numpy as np
np.save("joint.npy", np.concatenate([np.load("inputs.npy"), np.load("test_inputs.npy")]))
PY
sed -e 's/parameterization: standard/parameterization: ntk/' -e '/weights:/d' \
    -e 's/^model:/kernel: {kind: analytic, nngp: true}\nmodel:\n  b_std: 0.3/' job.yaml > analytic.yaml
log=$(ntk 3 run analytic.yaml --out analytic 2>&1) || fail "analytic run: $log"
log=$(ntk 2 run analytic.yaml --set data.inputs=joint.npy --set data.targets= \
      --set data.test_inputs= --set data.test_targets= --set predict=false \
      --set output.test_theta=false --out joint 2>&1) || fail "joint analytic run: $log"
py "$ref" block analytic joint 40 theta || fail "analytic cross NTK"
py "$ref" block analytic joint 40 nngp || fail "analytic cross NNGP"
py "$ref" predict analytic . 0 1 0.5 $steps || fail "analytic predictions"
pass "analytic: cross NTK and NNGP are the joint kernels' block; predictions with f_0 = 0"

log=$(ntk 2 run job.yaml --set data.test_targets=test_labels.npy --out labels 2>&1) \
    || fail "class labels run: $log"
cmp <(cut -d, -f1,4 labels/predict.csv) <(cut -d, -f1,4 trace-2/predict.csv) \
    || fail "class labels give another accuracy than one-hot rows"
pass "class labels as test targets"

# plan: the held-out part's memory and flops; the cross kernel's flops match
# what the run counted (summary.yaml) within 10%.
ntk serial plan job.yaml --ranks 2 --format yaml > plan.yaml || fail "plan"
py - <<'PY' || fail "plan of the held-out stage"
import yaml
plan = yaml.safe_load(open("plan.yaml"))
held = plan["held_out"]
run = yaml.safe_load(open("trace-2/summary.yaml"))["predict"]
ratio = held["cross_flops"] / run["cross_flops"]
print(f"plan: n_test {held['n_test']}, cross kernel {held['cross_bytes']:.0f} B/rank, "
      f"cross flops {held['cross_flops']:.4g} (the run counted {run['cross_flops']:.4g})")
assert held["n_test"] == 23 and held["cross_bytes"] > 0 and held["predict_bytes"] > 0
assert held["predict_phase_bytes"] <= plan["peak_bytes_per_rank"]
assert 0.9 < ratio < 1.1, ratio
# summary.yaml's final numbers are predict.csv's last row.
import csv
last = list(csv.DictReader(open("trace-2/predict.csv")))[-1]
final = run["final"]
assert final["step"] == float("inf") and last["step"] == "inf", (final, last)
for key in ("train_loss", "test_loss", "test_accuracy"):
    assert final[key] == float(last[key]), (key, final[key], last[key])
assert run["n_test"] == 23 and run["modes_used"] == 40, run
PY
pass "plan includes the cross kernel and the predictions; summary.yaml's final numbers"
