# Training: (1) the measured loss equals an independent numpy gradient descent
# (hand-written backpropagation) step by step, on 3 ranks; (2) for a wide
# network and a small learning rate measured and predicted loss agree within
# a few percent over all recorded steps, and the predicted columns follow the
# formulas from modes.csv; (3) the kernel change reported equals
# ||Theta_T - Theta_0|| / ||Theta_0|| computed by numpy from theta.npy at
# initialisation and at the trained parameters (params.safetensors loaded
# back); (4) at width 128 both the prediction error and the kernel change are
# well above those at width 2048.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch train)
cd "$dir"

py "$NTK_TESTS_DIR/train/numpy_training.py" "$dir" 25 0.3 || fail "numpy reference"
cat > exact.yaml <<JOB
data: {inputs: inputs.npy, targets: targets.npy}
model:
  layers: [{dense: 6}, tanh, {dense: 5}, relu, {dense: 2}]
  parameterization: standard
  weights: weights.safetensors
grid: {block: 2}
training: {steps: 25, learning_rate: 0.3, record_every: 1}
output: {dir: out-exact, plot: false}
JOB
log=$(ntk 3 run exact.yaml 2>&1) || fail "exact run: $log"
py - <<'PY' || fail "training loss differs from numpy gradient descent"
import numpy as np
want = np.load("expected_loss.npy")
got = np.loadtxt("out-exact/training.csv", delimiter=",", skiprows=1, usecols=1)
error = np.abs(got - want).max() / want.max()
print(f"numpy gradient descent vs ntkgram: {error:.2e}")
assert got.shape == want.shape and error < 1e-12, (got, want)
PY
pass "gradient descent equals numpy's step by step"

job="$NTK_TESTS_DIR/train/train.yaml"
log=$(ntk 2 run "$job" --out wide 2>&1) || fail "width 2048 run: $log"
wide=$(py "$NTK_TESTS_DIR/train/check_training.py" wide 0.5 16 1 100 10 0.05) \
    || fail "width 2048 prediction: $wide"
echo "$wide"
log=$(ntk serial run "$job" --set model.weights="$dir/wide/params.safetensors" \
      --set training.steps=1 --set output.params=false --out wide-trained 2>&1) \
    || fail "reloading the trained parameters: $log"
wide_change=$(py "$NTK_TESTS_DIR/train/check_kernel_change.py" wide/theta.npy \
              wide-trained/theta.npy wide/summary.yaml) || fail "kernel change: $wide_change"
echo "$wide_change"
pass "width 2048: measured vs predicted loss, kernel change"

log=$(ntk 2 run "$job" --set 'model.layers[0].dense=128' --out narrow 2>&1) || fail "width 128 run: $log"
narrow=$(py "$NTK_TESTS_DIR/train/check_training.py" narrow 0.5 16 1 100 10 10 narrow) \
    || fail "width 128: $narrow"
narrow_change=$(grep -E '^\s*kernel_change:' narrow/summary.yaml | awk '{print $2}')
echo "width 128: $narrow, kernel_change=$narrow_change"
py - "$wide" "$narrow" "$wide_change" "$narrow_change" <<'PY' || fail "width dependence"
import re, sys
value = lambda text, key: float(re.search(key + r"=(\S+)", text).group(1))
wide_error, narrow_error = value(sys.argv[1], "prediction_error"), value(sys.argv[2], "prediction_error")
wide_change, narrow_change = value(sys.argv[3], "kernel_change"), float(sys.argv[4])
print(f"prediction error {narrow_error:.3g} -> {wide_error:.3g}, kernel change {narrow_change:.3g} -> {wide_change:.3g}")
assert narrow_error > 2 * wide_error and narrow_change > 3 * wide_change
PY
pass "wider network: closer to the prediction, smaller kernel change"
