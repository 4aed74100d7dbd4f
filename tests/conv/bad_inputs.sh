# Conv networks refused with one clear line naming the layer (or tensor):
# kernel larger than the input with valid padding, data whose shape does not
# fit the layers, conv after flatten, same padding with a stride, weights of
# the wrong shape, analytic kernels of conv networks that have no limit
# (training conv networks works: tests/train/conv_training.sh), and torch's
# options out of their range. Pooling
# windows that do not divide the input are not refused: they floor, as
# torch's AvgPool2d does (checked against torch in torch_reference.sh).
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch conv-bad)
cd "$dir"
py -c "
import numpy as np
np.save('images.npy', np.random.default_rng(1).standard_normal((6, 5, 4, 2)))
np.save('flat.npy', np.random.default_rng(1).standard_normal((6, 40)))
" || fail "writing data"

# job NAME INPUTS LAYERS [EXTRA]: a job file.
job() {
    printf 'data: {inputs: %s}\nmodel:\n  layers: %s\n%s\noutput: {dir: out-%s, plot: false}\n' \
        "$2" "$3" "${4:-}" "$1" > "$1.yaml"
    echo "$1.yaml"
}
synthetic="{synthetic: gaussian, n: 6, shape: [5, 4, 2], seed: 1}"

expect_error 3 "large.yaml:3:[0-9]+: model.layers\[0\]\.conv: kernel 3 x 5 is larger than the input 5 x 4 \(valid padding\)" \
    2 run "$(job large images.npy "[{conv: {channels: 2, kernel: [3, 5], padding: valid}}, flatten, {dense: 1}]")"
expect_error 3 "model.layers\[0\]\.conv: kernel 3 x 5 is larger than the input 5 x 4" \
    1 validate "$(job large_synthetic "$synthetic" "[{conv: {channels: 2, kernel: [3, 5], padding: valid}}, flatten, {dense: 1}]")"
expect_error 3 "flat.yaml:3:[0-9]+: model.layers\[0\]\.conv: needs inputs of shape \(H, W, C\) or \(L, C\), got flat inputs" \
    2 run "$(job flat flat.npy "[{conv: {channels: 2, kernel: 3}}, flatten, {dense: 1}]")"
expect_error 3 "model.layers\[2\]\.conv: needs inputs of shape \(H, W, C\) or \(L, C\), got flat inputs \(one vector per input: after a flatten" \
    2 run "$(job after_flatten images.npy "[{conv: {channels: 2, kernel: 3}}, flatten, {conv: {channels: 2, kernel: 1}}, flatten, {dense: 1}]")"
expect_error 3 "model.layers\[0\]\.conv: same padding needs stride 1 \(as torch's padding='same'\); use padding: valid" \
    1 plan "$(job stride images.npy "[{conv: {channels: 2, kernel: 3, stride: 2}}, flatten, {dense: 1}]")"
expect_error 3 "model.layers\[2\]\.avg_pool: window 6 x 6 is larger than the input 5 x 4" \
    2 run "$(job pool images.npy "[{conv: {channels: 2, kernel: 3}}, relu, {avg_pool: 6}, flatten, {dense: 1}]")"
expect_error 3 "model.layers\[2\]\.dense: a dense layer needs flat inputs" \
    2 run "$(job no_flatten images.npy "[{conv: {channels: 2, kernel: 3}}, relu, {dense: 1}]")"
expect_error 3 "dense_images.yaml:3:[0-9]+: model.layers\[0\]\.dense: a dense layer needs flat inputs \(one vector per input\), got a tensor of rank 3" \
    2 run "$(job dense_images images.npy "[{dense: 4}, relu, {dense: 1}]")"
# Analytic kernels of conv nets (every layer type here has an infinite-width
# map): an activation of values that are not Gaussian (only a pooling layer
# between it and another activation; for kernel.kind analytic and for the
# empirical kernel's kernel.compare_analytic, before any output) and full
# outputs of a model ending in a conv layer (its logits keep positions) are
# refused naming the layer or key, in every command.
for command in validate plan run; do
    expect_error 3 "relu_pool.yaml:3:[0-9]+: model.layers\[3\]: the analytic \(infinite-width\) kernel: erf of values that are not Gaussian" \
        1 $command "$(job relu_pool images.npy "[{conv: {channels: 2, kernel: 3}}, relu, {avg_pool: 2}, erf, flatten, {dense: 1}]" "kernel: {kind: analytic}")"
    expect_error 3 "compare_pool.yaml:3:[0-9]+: model.layers\[3\]: the analytic \(infinite-width\) kernel: erf of values that are not Gaussian" \
        2 $command "$(job compare_pool images.npy "[{conv: {channels: 2, kernel: 3}}, relu, {avg_pool: 2}, erf, flatten, {dense: 1}]" "kernel: {compare_analytic: true}")"
    expect_error 3 "full_flatten.yaml: kernel.outputs: full: the analytic kernel of a model whose outputs keep 20 positions" \
        2 $command "$(job full_flatten images.npy "[{conv: {channels: 2, kernel: 3}}, relu, {conv: {channels: 1, kernel: 1}}]" "kernel: {kind: analytic, outputs: full}")"
done

# The scalar form {conv: C} sets only the channels: the kernel is missing (it
# was left at 0 and the geometry divided by it: SIGFPE, exit 136), in every
# command, on images and on 1-D inputs, and through --set.
for command in validate plan run; do
    expect_error 3 "scalar_conv.yaml:3:[0-9]+: model.layers\[0\]\.conv: missing required key 'kernel'" \
        1 "$command" "$(job scalar_conv images.npy "[{conv: 3}, flatten, {dense: 1}]")"
done
expect_error 3 "scalar_conv_1d.yaml:3:[0-9]+: model.layers\[0\]\.conv: missing required key 'kernel'" \
    1 validate "$(job scalar_conv_1d "{synthetic: gaussian, n: 6, shape: [9, 2], seed: 1}" "[{conv: 3}, flatten, {dense: 1}]")"
expect_error 3 "--set model.layers\[0\]\.conv: missing required key 'kernel'" \
    1 run "$(job set_conv images.npy "[{conv: {channels: 2, kernel: 3}}, flatten, {dense: 1}]")" \
    --set 'model.layers[0].conv=3'

# Weights of the wrong shape: (out, in, kh, kw) named, with the tensor.
py - <<'PY' || fail "writing weights"
import json, struct
import numpy as np
def write(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, array in tensors:
        data = np.ascontiguousarray(array, "<f8").tobytes()
        header[name] = {"dtype": "F64", "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data); offset += len(data)
    text = json.dumps(header).encode(); text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text))); f.write(text); [f.write(b) for b in blobs]
write("wrong.safetensors", [("0.weight", np.ones((3, 2, 3, 2))), ("0.bias", np.ones(3)),
                            ("2.weight", np.ones((1, 60)))])
PY
expect_error 4 "wrong.safetensors: tensor '0.weight' has shape \[3, 2, 3, 2\], but conv layer 1 needs \[3, 2, 3, 3\] \(out, in, kh, kw\)" \
    2 run "$(job weights images.npy "[{conv: {channels: 3, kernel: 3}}, flatten, {dense: 1}]" "  parameterization: standard
  weights: wrong.safetensors")"
# torch's options: pooling padding beyond half the window (torch refuses it
# too), a padding pair on 1-D inputs, a kernel larger than the padded input,
# bias neither true nor false, and a bias tensor for a layer written with
# bias: false.
expect_error 3 "pool_pad.yaml:3:[0-9]+: model.layers\[2\]\.avg_pool: padding \[2, 2\] is more than half the window \[3, 3\]" \
    1 validate "$(job pool_pad images.npy "[{conv: {channels: 2, kernel: 3}}, relu, {avg_pool: {window: 3, padding: 2}}, flatten, {dense: 1}]")"
expect_error 3 "model.layers\[0\]\.conv: on \(L, C\) inputs the padding is a single integer, got \[1, 2\]" \
    1 validate "$(job pad_1d "{synthetic: gaussian, n: 6, shape: [9, 2], seed: 1}" "[{conv: {channels: 2, kernel: 3, padding: [1, 2]}}, flatten, {dense: 1}]")"
expect_error 3 "model.layers\[0\]\.conv: kernel 3 x 3 is larger than the padded input 1 x 6" \
    1 validate "$(job pad_small "{synthetic: gaussian, n: 6, shape: [1, 4, 2], seed: 1}" "[{conv: {channels: 2, kernel: 3, padding: [0, 1]}}, flatten, {dense: 1}]")"
expect_error 3 "bias_word.yaml:3:[0-9]+: model.layers\[0\]\.conv\.bias: must be true or false, got 'maybe'" \
    1 validate "$(job bias_word images.npy "[{conv: {channels: 2, kernel: 3, bias: maybe}}, flatten, {dense: 1}]")"
expect_error 3 "padding_word.yaml:3:[0-9]+: model.layers\[0\]\.conv\.padding: unknown padding 'full'" \
    1 validate "$(job padding_word images.npy "[{conv: {channels: 2, kernel: 3, padding: full}}, flatten, {dense: 1}]")"
py - <<'PY' || fail "writing weights"
import json, struct
import numpy as np
def write(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, array in tensors:
        data = np.ascontiguousarray(array, "<f8").tobytes()
        header[name] = {"dtype": "F64", "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data); offset += len(data)
    text = json.dumps(header).encode(); text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text))); f.write(text); [f.write(b) for b in blobs]
write("biased.safetensors", [("0.weight", np.ones((3, 2, 3, 3))), ("0.bias", np.ones(3)),
                             ("2.weight", np.ones((1, 60)))])
PY
expect_error 4 "biased.safetensors: tensor '0.bias' matches no parameter: conv layer 1 \(model.layers\[0\]\) is written with bias: false" \
    2 run "$(job biased images.npy "[{conv: {channels: 3, kernel: 3, bias: false}}, flatten, {dense: 1}]" "  parameterization: standard
  weights: biased.safetensors")"
pass "conv refusals: one line each, naming the layer or tensor"
