# model.weights and output.params: numpy-written safetensors files (F64, F32,
# "net."-prefixed names, no biases) give the trace NTK computed by hand from
# explicit derivatives; params.safetensors written by a run loads back to the
# same Theta; missing, extra, mis-shaped, stray and F16 tensors are refused
# with one clear error naming the file and tensor.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch weights)
cd "$dir"
py "$NTK_TESTS_DIR/weights/make_weights.py" "$dir" || fail "writing the safetensors files"

# job NAME WEIGHTS [EXTRA-MODEL-KEYS]: a job on inputs.npy with a 3 -> 5 -> 2 relu net.
job() {
    cat > "$dir/$1.yaml" <<JOB
data: {inputs: inputs.npy}
model:
  layers: [{dense: 5}, relu, {dense: 2}]
  parameterization: ${3:-standard}
  weights: $2
spectrum: {solver: none}
output: {dir: out-$1, theta: true, plot: false, eigenvectors: false}
JOB
    echo "$dir/$1.yaml"
}

for kind in f64 f32 nobias fc nested collide; do
    reference=theta_$kind.npy
    [ -f "$reference" ] || reference=theta_f64.npy
    [ $kind = collide ] && reference=theta_nobias.npy
    log=$(ntk 2 run "$(job $kind $kind.safetensors)" 2>&1) || fail "$kind run: $log"
    compare_npy out-$kind/theta.npy $reference 1e-13 \
        || fail "$kind: Theta differs from the hand computation"
done
pass "F64, F32 (net.-prefixed, shuffled header, metadata), bias-free, fc1/fc2, layers.N.linear and colliding-number (file order) files give the hand-computed NTK"

# Round trip: parameters drawn from a seed (ntk parameterisation, with biases)
# written by output.params and read back give the same Theta.
cat > seeded.yaml <<JOB
data: {inputs: inputs.npy}
model: {layers: [{dense: 6}, tanh, {dense: 4}, relu, {dense: 2}], b_std: 0.3, seed: 5}
spectrum: {solver: none}
output: {dir: out-seeded, theta: true, params: true, plot: false, eigenvectors: false}
JOB
log=$(ntk 2 run seeded.yaml 2>&1) || fail "seeded run: $log"
[ -s out-seeded/params.safetensors ] || fail "no params.safetensors"
py - out-seeded/params.safetensors <<'PY' || fail "params.safetensors layout"
import json, struct, sys
raw = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n])
names = sorted(k for k in header if k != "__metadata__")
assert names == ["0.bias", "0.weight", "2.bias", "2.weight", "4.bias", "4.weight"], names
assert header["2.weight"]["shape"] == [4, 6] and header["2.weight"]["dtype"] == "F64", header
assert (8 + n) % 8 == 0
PY
log=$(ntk 3 run seeded.yaml --set model.weights="$dir/out-seeded/params.safetensors" \
      --set output.dir=out-reloaded --set output.params=false 2>&1) || fail "reload run: $log"
compare_npy out-reloaded/theta.npy out-seeded/theta.npy 1e-14 \
    || fail "round trip changes Theta"
pass "output.params -> model.weights round trip"

expect_error 4 "bad_missing.safetensors: missing the weight of dense layer 2 \(shape \[2, 5\], model.layers\[2\]\)" \
    serial run "$(job missing bad_missing.safetensors)"
expect_error 4 "bad_extra.safetensors: tensor '4.weight' is extra" \
    2 run "$(job extra bad_extra.safetensors)"
expect_error 4 "bad_shape.safetensors: tensor '0.weight' has shape \[5, 4\], but dense layer 1 needs \[5, 3\]" \
    serial run "$(job shape bad_shape.safetensors)"
expect_error 4 "bad_bias_shape.safetensors: tensor '2.bias' has shape \[3\], but dense layer 2 needs \[2\]" \
    serial run "$(job bias_shape bad_bias_shape.safetensors)"
expect_error 4 "bad_orphan_bias.safetensors: tensor '2.bias' has no matching '2.weight'" \
    serial run "$(job orphan bad_orphan_bias.safetensors)"
expect_error 4 "bad_stray.safetensors: tensor 'running_mean' matches no layer: it is not a weight, bias or buffer" \
    serial run "$(job stray bad_stray.safetensors)"
expect_error 4 "bad_dtype.safetensors.*F16" serial run "$(job dtype bad_dtype.safetensors)"
expect_error 4 "nowhere.safetensors" serial run "$(job nowhere nowhere.safetensors)"
pass "bad weight files give one clear error"
