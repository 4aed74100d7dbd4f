# validate refuses what run refuses, before output.dir is touched, for the
# held-out data and for every sweep point:
#  - NaN/Inf in data.test_inputs (.npy and .csv), NaN in data.test_targets and
#    class labels outside 0..k-1 are refused by validate and by run's
#    preflight (run used to find them after the assembly and the eigensolve),
#    on 1-3 ranks, naming FILE:LINE:COL and the key;
#  - validate on a sweep checks each point's files: a missing data file, an
#    incompatible weights file, test inputs of another dimension; the failure
#    names the sweep point and points at its value in the job file (it used
#    to say "--set data.test_inputs"), in validate and run alike.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch validate-held-out)
cd "$dir"
py - <<'PY' || fail "writing the data"
import json, struct
import numpy as np
rng = np.random.default_rng(4)
np.save("x.npy", rng.standard_normal((12, 4)))
np.save("y.npy", rng.standard_normal((12, 3)))
xt = rng.standard_normal((6, 4))
np.save("xt.npy", xt)
np.save("xt5.npy", rng.standard_normal((6, 5)))
bad = xt.copy(); bad[4, 2] = np.nan
np.save("xt_nan.npy", bad)
with open("xt_inf.csv", "w") as f:
    for i, row in enumerate(xt):
        f.write(",".join("inf" if (i, j) == (5, 1) else repr(v) for j, v in enumerate(row)) + "\n")
yt = rng.standard_normal((6, 3)); yt[3, 0] = np.nan
np.save("yt_nan.npy", yt)
np.save("labels_3.npy", np.array([0, 1, 2, 3, 0, 1], dtype=float))
np.save("labels_half.npy", np.array([0, 1, 2, 1.5, 0, 1], dtype=float))
np.save("labels_ok.npy", np.array([0, 1, 2, 2, 0, 1], dtype=float))
# A weights file for a 4 -> 8 -> 3 network, and one for inputs of dimension 5.
def write(path, shapes):
    header, offset, blobs = {}, 0, []
    for name, shape in shapes:
        data = rng.standard_normal(shape).astype("<f8").tobytes()
        header[name] = {"dtype": "F64", "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data); blobs.append(data)
    text = json.dumps(header).encode(); text += b" " * ((8 - len(text) % 8) % 8)
    open(path, "wb").write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
write("w_ok.safetensors", [("0.weight", (8, 4)), ("2.weight", (3, 8))])
write("w_dim5.safetensors", [("0.weight", (8, 5)), ("2.weight", (3, 8))])
PY

cat > job.yaml <<'JOB'
data:
  inputs: x.npy
  targets: y.npy
  test_inputs: xt.npy
  test_targets: labels_ok.npy
model: {layers: [{dense: 8}, relu, {dense: 3}]}
predict: true
output: {dir: out, plot: false}
JOB
log=$(ntk 2 validate job.yaml 2>&1) || fail "the good job: $log"

# Every case on 1 and 2 ranks; on 3 (rows split unevenly) the two readers.
for ranks in serial 2 3; do
    for command in validate run; do
        expect_error 4 "--set data.test_inputs: .*xt_nan.npy: row 4, column 2: value is not finite" \
            $ranks $command job.yaml --set data.test_inputs=xt_nan.npy
        expect_error 4 "--set data.test_inputs: .*xt_inf.csv.*not finite" \
            $ranks $command job.yaml --set data.test_inputs=xt_inf.csv
        if [ $ranks != 3 ]; then
            expect_error 4 "--set data.test_targets: .*yt_nan.npy: row 3, column 0: value is not finite" \
                $ranks $command job.yaml --set data.test_targets=yt_nan.npy
            expect_error 4 "data.test_targets: row 3: class label 3 is not an integer in \[0, 3\)" \
                $ranks $command job.yaml --set data.test_targets=labels_3.npy
            expect_error 4 "data.test_targets: row 3: class label 1.5 is not an integer in \[0, 3\)" \
                $ranks $command job.yaml --set data.test_targets=labels_half.npy
        fi
        [ -e out ] && fail "$command on $ranks ranks created output.dir for refused held-out data"
    done
done
pass "NaN/Inf held-out inputs and targets and bad labels are refused by validate and before output.dir by run"

cat > sweep.yaml <<'JOB'
data:
  inputs: x.npy
  targets: y.npy
  test_inputs: xt.npy
model:
  layers: [{dense: 8}, relu, {dense: 3}]
  parameterization: standard
spectrum: {solver: none}
output: {dir: out-sweep, plot: false}
sweep:
  data.test_inputs: [xt.npy, xt5.npy]
JOB
for ranks in serial 2 3; do
    for command in validate run; do
        expect_error 4 "sweep point 1 of 2 \(data.test_inputs=xt5.npy\): .*sweep.yaml:11:30: data.test_inputs: points of dimension 5, but the training inputs have dimension 4" \
            $ranks $command sweep.yaml
    done
    expect_error 4 "sweep point 1 of 2 \(data.inputs=missing.npy\): .*missing.npy: cannot open inputs file" \
        $ranks validate sweep.yaml --set 'sweep={data.inputs: [x.npy, missing.npy]}'
    expect_error 4 "sweep point 1 of 2 \(model.weights=w_dim5.safetensors\): .*w_dim5.safetensors: tensor '0.weight' has shape \[8, 5\], but dense layer 1 needs \[8, 4\]" \
        $ranks validate sweep.yaml --set 'sweep={model.weights: [w_ok.safetensors, w_dim5.safetensors]}'
done
expect_error 4 "sweep point 1 of 2 \(model.weights=w_dim5.safetensors\): .*w_dim5.safetensors: tensor '0.weight' has shape \[8, 5\]" \
    serial plan sweep.yaml --set 'sweep={model.weights: [w_ok.safetensors, w_dim5.safetensors]}'
log=$(ntk 2 validate sweep.yaml --set 'sweep={model.seed: [1, 2]}' 2>&1) || fail "a good sweep: $log"
[ "$(printf '%s\n' "$log" | grep -c 'sweep point [01] of 2 (model.seed=[12]): ok')" = 2 ] \
    || fail "validate does not report each point: $log"
pass "validate checks every sweep point's files and names the point and its value"
