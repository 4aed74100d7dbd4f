# Bad held-out data and predict settings are refused with one clear line
# naming the key, the documented exit code, and no hang on any rank.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch predict-bad)
cd "$dir"
py - <<'PY' || fail "data"
import numpy as np
rng = np.random.default_rng(1)
np.save("x.npy", rng.normal(size=(12, 3)))
np.save("y.npy", rng.normal(size=(12, 2)))
np.save("x_test.npy", rng.normal(size=(5, 3)))
np.save("x_test_4d.npy", rng.normal(size=(5, 4)))
np.save("y_test.npy", rng.normal(size=(5, 2)))
np.save("y_test_rows.npy", rng.normal(size=(6, 2)))
np.save("y_test_cols.npy", rng.normal(size=(5, 3)))
np.save("labels_bad.npy", np.array([0.0, 1.0, 1.0, 0.0, 0.5]))
np.save("x_img.npy", rng.normal(size=(12, 4, 4, 1)))
np.save("x_test_img.npy", rng.normal(size=(5, 2, 8, 1)))
PY
cat > job.yaml <<'JOB'
data: {inputs: x.npy, targets: y.npy, test_inputs: x_test.npy, test_targets: y_test.npy}
model: {layers: [{dense: 8}, relu, {dense: 2}]}
grid: {block: 2}
predict: {steps: [0, 10]}
output: {dir: out, plot: false}
JOB
log=$(ntk 2 run job.yaml 2>&1) || fail "the good job: $log"

sed 's/test_inputs: x_test.npy/test_inputs: x_test_4d.npy/' job.yaml > job4.yaml
expect_error 4 '^ntkgram: error: job4.yaml:1:[0-9]+: data.test_inputs: points of dimension 4, but the training inputs have dimension 3$' \
    3 run job4.yaml
expect_error 4 '^ntkgram: error: --set data.test_inputs: points of dimension 4' \
    2 run job.yaml --set data.test_inputs=x_test_4d.npy
expect_error 4 'data.test_targets: shape \(6, 2\), expected \(5, 2\)' \
    2 run job.yaml --set data.test_targets=y_test_rows.npy
expect_error 4 'data.test_targets: shape \(5, 3\), expected \(5, 2\)' \
    4 run job.yaml --set data.test_targets=y_test_cols.npy
expect_error 4 'data.test_targets: row 4: class label 0.5 is not an integer in \[0, 2\)' \
    2 run job.yaml --set data.test_targets=labels_bad.npy
expect_error 4 '^ntkgram: error: --set data.test_inputs: missing.npy: cannot open' \
    2 run job.yaml --set data.test_inputs=missing.npy
# Images with as many values per point but another shape: never reread as
# the training shape.
expect_error 4 "data.test_inputs: points of shape \(2, 8, 1\), but the training inputs' points have shape \(4, 4, 1\)" \
    2 run job.yaml --set data.inputs=x_img.npy --set data.test_inputs=x_test_img.npy \
    --set 'model.layers=[{conv: {channels: 2, kernel: 3}}, relu, flatten, {dense: 2}]'
pass "test inputs of another dimension or shape, test targets of the wrong shape, a missing file"

expect_error 3 'job.yaml:[0-9]+:[0-9]+: predict: needs every eigenpair with its eigenvector, but spectrum.top' \
    2 run job.yaml --set spectrum.top=3
expect_error 3 'predict: needs every eigenpair with its eigenvector, but spectrum.vectors is false' \
    serial validate job.yaml --set spectrum.vectors=false
expect_error 3 'predict: needs every eigenpair with its eigenvector, but spectrum.solver is none' \
    serial validate job.yaml --set spectrum.solver=none
expect_error 3 'predict: needs data.test_inputs' \
    serial validate job.yaml --set data.test_inputs= --set data.test_targets=
expect_error 3 'data.test_targets: needs data.test_inputs' \
    serial validate job.yaml --set data.test_inputs=
expect_error 3 'output.test_theta: needs data.test_inputs' \
    serial validate job.yaml --set data.test_inputs= --set data.test_targets= \
    --set predict=false --set output.test_theta=true
expect_error 3 'predict.cutoff: must be below 1' serial validate job.yaml --set predict.cutoff=1
expect_error 3 'predict.steps\[1\]' serial validate job.yaml --set 'predict.steps=[0, -1]'
pass "predict needs all eigenpairs, test inputs and training targets; bad predict keys"
