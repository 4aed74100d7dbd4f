# Messages that used to mislead (issue: reliability III, messages):
#  - plan --ranks 1000000000 said "needs a positive number": it names the limit;
#  - plan --mem-per-rank 1K printed "0 MiB": it prints 1 KiB;
#  - a conv net's log said "model: 3 dense layers": it names the layer types;
#  - targets that do not fit a conv last layer blamed "(last dense layer)": the
#    message names the layer and the H, W, C order of its outputs;
#  - predict.csv printed step 9223372036854775807 as ...808: exact now.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch plan-messages)
cd "$dir"
py - <<'PY' || fail "writing the data"
import numpy as np
rng = np.random.default_rng(6)
np.save("x.npy", rng.standard_normal((8, 4)))
np.save("y.npy", rng.standard_normal((8, 1)))
np.save("xt.npy", rng.standard_normal((3, 4)))
np.save("img.npy", rng.standard_normal((8, 4, 4, 1)))
np.save("y_img.npy", rng.standard_normal((8, 5)))
PY
cat > job.yaml <<'JOB'
data: {inputs: x.npy, targets: y.npy}
model: {layers: [{dense: 6}, relu, {dense: 1}]}
output: {dir: out, plot: false}
JOB

expect_error 2 "--ranks 1000000000 is more than plan sizes for \(at most 16777216 ranks\)" \
    serial plan job.yaml --ranks 1000000000
out=$("$NTKGRAM" plan job.yaml --mem-per-rank 1K 2>&1) || true
printf '%s\n' "$out" | grep -q "memory per rank given: 1 KiB -> does NOT fit" \
    || fail "--mem-per-rank 1K: $out"
printf '%s\n' "$out" | grep -Eq "[^0-9.]0 MiB" && fail "--mem-per-rank 1K still printed 0 MiB: $out"
pass "plan names the rank limit and prints small sizes in KiB"

conv="model.layers=[{conv: {channels: 2, kernel: 3}}, relu, {conv: {channels: 3, kernel: 3}}, relu, flatten, {dense: 1}]"
log=$(ntk 2 run job.yaml --set data.inputs=img.npy --set data.targets= --set "$conv" \
      --set spectrum.solver=none --out out-conv 2>&1) || fail "conv run: $log"
printf '%s\n' "$log" | grep -q "model: 3 layers with parameters (2 conv, 1 dense), " \
    || fail "the log does not name the layer types: $log"
log=$(ntk 2 run job.yaml --set spectrum.solver=none --out out-dense 2>&1) || fail "dense run: $log"
printf '%s\n' "$log" | grep -q "model: 2 dense layers, " || fail "dense log: $log"
expect_error 4 "y_img.npy: targets have 5 columns but the model has 32 outputs \(its last layer, conv, in H, W, C order\)" \
    2 validate job.yaml --set data.inputs=img.npy --set data.targets=y_img.npy \
    --set 'model.layers=[{conv: {channels: 2, kernel: 3}}]'
pass "the log and the targets message name the layer types"

log=$(ntk 2 run job.yaml --set data.test_inputs=xt.npy \
      --set 'predict={steps: [0, 9007199254740993, 9223372036854775807]}' --out out-steps 2>&1) \
    || fail "predict run: $log"
cut -d, -f1 out-steps/predict.csv | tr '\n' ' ' | grep -q "^step 0 9007199254740993 9223372036854775807 " \
    || fail "predict.csv steps: $(cut -d, -f1 out-steps/predict.csv | tr '\n' ' ')"
pass "predict.csv prints integer steps exactly"
