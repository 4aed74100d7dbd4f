# predict.ensemble (src/predict/ensemble.c): test_mean.npy and
# test_variance.npy equal neural-tangents' gradient_descent_mse_ensemble
# (get='ntk', compute_cov=True) and gp_inference (get='nngp') formulas,
# evaluated in numpy on the kernels ntkgram wrote (the test NNGP diagonal
# from a run on the training and test inputs together), to 1e-10: at finite
# t through the eigenpairs and at t = infinity with a ridge, by eigen (1 rank)
# and cholesky (3 ranks, no eigensolve); the NTK ensemble's mean is the
# analytic predictions; refusals without the analytic NNGP kernel.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch ensemble)
cd "$dir"
py "$NTK_TESTS_DIR/predict/reference.py" make . || fail "reference data"
ens="$NTK_TESTS_DIR/predict/ensemble_reference.py"
py - <<'PY' || fail "joint inputs"
import numpy as np
np.save("joint.npy", np.concatenate([np.load("inputs.npy"), np.load("test_inputs.npy")]))
PY
cat > job.yaml <<JOB
data: {inputs: inputs.npy, targets: targets.npy, test_inputs: test_inputs.npy,
       test_targets: test_targets.npy}
kernel: {kind: analytic, nngp: true}
model:
  b_std: 0.3
  layers: [{dense: 16}, tanh, {dense: 12}, relu, {dense: 3}]
grid: {block: 4}
dynamics: {learning_rate: 0.5}
predict: {ridge: 0.01, ensemble: true}
output: {dir: out, theta: true, test_theta: true, plot: false}
JOB
log=$(ntk 2 run job.yaml --set data.inputs=joint.npy --set data.targets= --set data.test_inputs= \
      --set data.test_targets= --set predict=false --set output.test_theta=false --out joint 2>&1) \
    || fail "joint run: $log"

log=$(ntk serial run job.yaml --set "predict.steps=[0, 3, 50, 2000]" --out eigen 2>&1) \
    || fail "ensemble through the eigenpairs: $log"
py "$ens" check eigen joint 40 ntk 0.5 0.01 0 3 50 2000 || fail "ntk ensemble at finite t and infinity"
compare_npy eigen/test_mean.npy eigen/test_predictions.npy 1e-12 \
    || fail "the ensemble mean is not the analytic predictions"
log=$(ntk 3 run job.yaml --set spectrum.solver=none --out cholesky 2>&1) \
    || fail "ensemble by cholesky: $log"
printf '%s\n' "$log" | grep -q "predict.ensemble: cholesky on 26 right-hand sides" \
    || fail "the ensemble's solve is not in the log: $log"
py "$ens" check cholesky joint 40 ntk 0.5 0.01 || fail "ntk ensemble at infinity by cholesky"
pass "NTK ensemble mean and variance == neural-tangents' formulas (eigen 1 rank, cholesky 3 ranks)"

log=$(ntk 2 run job.yaml --set predict.ensemble_kernel=nngp --out gp 2>&1) || fail "GP posterior: $log"
py "$ens" check gp joint 40 nngp 0.5 0.01 || fail "NNGP posterior"
pass "NNGP posterior mean and variance == gp_inference's"

expect_error 3 "predict.ensemble: needs kernel.kind analytic" serial run job.yaml \
    --set kernel.kind=empirical --set kernel.nngp=false --out refused
expect_error 3 "predict.ensemble: needs kernel.nngp: true" serial run job.yaml \
    --set kernel.nngp=false --out refused
pass "refusals without the analytic NNGP kernel"
