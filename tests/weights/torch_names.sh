# Weights by name and plain torch state_dicts (torch_names.py): the tutorial
# CNN's state_dict (conv1.*, conv2.*, fc1.*: layer numbers that collide, which
# used to be refused) loads unnamed in the file's own order, with a
# num_batches_tracked tensor ignored; the same tensors in reversed order load
# into layers written with `name:`; mixed named and unnamed layers; Theta ==
# torch autograd (trace, full) to 1e-10 and f is torch's f. output.params
# writes named layers' tensors under their names. A named layer without its
# tensors, and a tensor matching no layer, are one-line errors naming both.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch weights-torch-names)
cd "$dir"
out=$(py "$NTK_TESTS_DIR/weights/torch_names.py" "$dir"); rc=$?
if [ $rc -eq 77 ]; then echo "$out"; exit 0; fi  # torch missing: skipped, with the reason
[ $rc -eq 0 ] || fail "torch_names.py: $out"
echo "$out"

unnamed="[{conv: {channels: 4, kernel: 3, padding: valid}}, relu, {avg_pool: 2}, {conv: {channels: 5, kernel: 3, padding: valid}}, relu, {avg_pool: 2}, flatten, {dense: 6}, relu, {dense: 5}, relu, {dense: 3}]"
named="[{conv: {channels: 4, kernel: 3, padding: valid, name: conv1}}, relu, {avg_pool: 2}, {conv: {channels: 5, kernel: 3, padding: valid, name: conv2}}, relu, {avg_pool: 2}, flatten, {dense: {width: 6, name: fc1}}, relu, {dense: {width: 5, name: fc2}}, relu, {dense: {width: 3, name: fc3}}]"
mixed="[{conv: {channels: 4, kernel: 3, padding: valid}}, relu, {avg_pool: 2}, {conv: {channels: 5, kernel: 3, padding: valid, name: conv2}}, relu, {avg_pool: 2}, flatten, {dense: 6}, relu, {dense: {width: 5, name: fc2}}, relu, {dense: 3}]"
job() {  # job NAME LAYERS WEIGHTS OUTPUTS
    cat > "$1.yaml" <<JOB
data: {inputs: cnn.npy, targets: cnn_f.npy}
model:
  layers: $2
  parameterization: standard
  b_std: 1
  weights: $3
kernel: {outputs: $4}
grid: {block: 3}
output: {dir: out-$1, theta: true, plot: false, eigenvectors: false, params: true}
JOB
    echo "$1.yaml"
}
check() {  # check NAME OUTPUTS
    compare_npy "out-$1/theta.npy" "cnn_$2.npy" 1e-10 \
        || fail "$1: Theta differs from torch autograd"
    norm=$(grep -m1 '^  residual_norm:' "out-$1/summary.yaml" | awk '{print $2}')
    null_or_below "$norm" 1e-12 \
        || fail "$1: ||f_0 - f_torch|| = $norm: ntkgram's f is not torch's"
}
log=$(ntk 2 run "$(job unnamed "$unnamed" cnn.safetensors trace)" 2>&1) || fail "unnamed: $log"
check unnamed trace
pass "the tutorial CNN's state_dict (colliding layer numbers) loads in the file's order"
log=$(ntk 2 run "$(job named "$named" cnn_shuffled.safetensors full)" 2>&1) || fail "named: $log"
check named full
py - out-named/params.safetensors <<'PY' || fail "named layers' tensors are not written under their names"
import json, struct, sys
raw = open(sys.argv[1], "rb").read()
header = json.loads(raw[8:8 + struct.unpack("<Q", raw[:8])[0]])
names = sorted(k for k in header if k != "__metadata__")
want = sorted(f"{m}.{t}" for m in ("conv1", "conv2", "fc1", "fc2", "fc3") for t in ("weight", "bias"))
sys.exit(0 if names == want else 1)
PY
log=$(ntk 2 run "$(job mixed "$mixed" cnn.safetensors trace)" 2>&1) || fail "mixed: $log"
check mixed trace
pass "named layers take their tensors whatever the file's order; mixed named/unnamed; params by name"

expect_error 4 "cnn.safetensors: no tensor 'head.weight' for model.layers\[11\] \(dense layer 5, name: head\)" \
    serial run "$(job missing "${named/name: fc3/name: head}" cnn.safetensors trace)"
job extra "${named/, relu, \{dense: \{width: 3, name: fc3\}\}/}" cnn.safetensors trace >/dev/null
sed -i 's/, targets: cnn_f.npy//' extra.yaml  # 5 outputs now: no targets
expect_error 4 "cnn.safetensors: tensor 'fc3.weight' is extra: it matches no layer" \
    serial run extra.yaml
expect_error 3 "duplicate.yaml:3:[0-9]+: model.layers\[9\]: name 'fc1' is already the name of model.layers\[7\]" \
    serial validate "$(job duplicate "${named/name: fc2/name: fc1}" cnn.safetensors trace)"
pass "a named layer without its tensors, an extra tensor, a duplicate name: one clear error each"
