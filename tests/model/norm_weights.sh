# The normalisation layers' tensors in weights files: batch_norm's
# running_mean / running_var buffers (torch's names, num_batches_tracked
# ignored) and layer_norm's gamma / beta, by name and by order.
#   - output.params writes gamma, beta and the running statistics under the
#     layers' names, and a run from that file gives the same Theta, from a
#     seeded model and from a file with statistics away from 0 and 1;
#   - a missing or mis-shaped running_var, a running_mean on a dense layer,
#     buffers without their weight: one error naming the tensor and the
#     layer, exit 4;
#   - plan prints the layers and their structured form.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch norm-weights)
cd "$dir"
py -c "
import numpy as np
np.save('x.npy', np.random.default_rng(3).standard_normal((7, 4, 3, 2)))
" || fail "writing inputs"

job() { # name weights-line extra-output
    cat > "$1.yaml" <<JOB
data: {inputs: x.npy}
model:
  layers: [{conv: {channels: 3, kernel: 2, name: features.conv}}, {batch_norm: {name: features.bn}},
           relu, flatten, {dense: {width: 5, name: head.fc}}, {layer_norm: {name: head.norm}}, {dense: {width: 2, name: out}}]
  b_std: 0.3
  seed: 4
  $2
spectrum: {solver: none}
output: {dir: out-$1, theta: true, plot: false, eigenvectors: false${3:-}}
JOB
}

job seeded "" ", params: true"
log=$(ntk 2 run seeded.yaml 2>&1) || fail "seeded run: $log"
py - out-seeded/params.safetensors <<'PY' || fail "params.safetensors names"
import json, struct, sys
raw = open(sys.argv[1], "rb").read()
header = json.loads(raw[8:8 + struct.unpack("<Q", raw[:8])[0]])
names = sorted(k for k in header if k != "__metadata__")
want = sorted(["features.conv.weight", "features.conv.bias", "features.bn.weight", "features.bn.bias",
               "features.bn.running_mean", "features.bn.running_var", "head.fc.weight", "head.fc.bias",
               "head.norm.weight", "head.norm.bias", "out.weight", "out.bias"])
assert names == want, names
assert header["features.bn.running_var"]["shape"] == [3], header
PY
job reloaded "weights: out-seeded/params.safetensors"
log=$(ntk 3 run reloaded.yaml 2>&1) || fail "reload run: $log"
compare_npy out-reloaded/theta.npy out-seeded/theta.npy 1e-14 \
    || fail "seeded -> params -> reloaded changes Theta"

# Statistics and gamma/beta away from their initial values, num_batches_tracked
# present: round trip through output.params again.
py - "$NTK_TESTS_DIR" <<'PY' || fail "writing the perturbed weights"
import json, struct, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from safetensors_f64 import write_safetensors
raw = open("out-seeded/params.safetensors", "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n])
rng = np.random.default_rng(9)
tensors = []
for name, entry in header.items():
    if name == "__metadata__":
        continue
    b, e = entry["data_offsets"]
    value = np.frombuffer(raw[8 + n + b:8 + n + e], dtype="<f8").reshape(entry["shape"]).copy()
    if name.endswith("running_var"):
        value = 0.3 + rng.random(value.shape)
    elif name.startswith(("features.bn", "head.norm")):
        value = value + 0.4 * rng.standard_normal(value.shape)
    tensors.append((name, value))
tensors.append(("features.bn.num_batches_tracked", np.array(12.0)))
write_safetensors("perturbed.safetensors", tensors)
def without(*names, **replace):
    return [(k, replace.get(k.replace(".", "_"), v)) for k, v in tensors if k not in names]
write_safetensors("bad_missing_var.safetensors", without("features.bn.running_var"))
write_safetensors("bad_var_shape.safetensors", without(features_bn_running_var=np.ones(4)))
write_safetensors("bad_dense_buffer.safetensors", tensors + [("head.fc.running_mean", np.zeros(5))])
write_safetensors("bad_orphan_buffer.safetensors", tensors + [("extra.running_mean", np.zeros(3))])
PY
job perturbed "weights: perturbed.safetensors" ", params: true"
log=$(ntk 2 run perturbed.yaml 2>&1) || fail "perturbed run: $log"
job perturbed-reloaded "weights: out-perturbed/params.safetensors"
log=$(ntk 1 run perturbed-reloaded.yaml 2>&1) || fail "perturbed reload run: $log"
compare_npy out-perturbed-reloaded/theta.npy out-perturbed/theta.npy 1e-14 \
    || fail "perturbed -> params -> reloaded changes Theta"
py -c "
import numpy as np, sys
a = np.load('out-perturbed/theta.npy'); b = np.load('out-seeded/theta.npy')
sys.exit(0 if np.abs(a - b).max() > 1e-3 * np.abs(b).max() else 1)" \
    || fail "the perturbed statistics and gamma/beta do not change Theta: they were not read"
pass "output.params writes gamma, beta and the running statistics by name; a run from it gives the same Theta"

job missing "weights: bad_missing_var.safetensors"
expect_error 4 "bad_missing_var.safetensors: no tensor 'features.bn.running_var' for model.layers\[1\] \(batch_norm layer 2\)" \
    serial run missing.yaml
job shape "weights: bad_var_shape.safetensors"
expect_error 4 "bad_var_shape.safetensors: tensor 'features.bn.running_var' has shape \[4\], but batch_norm layer 2 needs \[3\]" \
    serial run shape.yaml
job dense "weights: bad_dense_buffer.safetensors"
expect_error 4 "bad_dense_buffer.safetensors: tensor 'head.fc.running_mean' matches no buffer of model.layers\[4\] \(dense layer 3\)" \
    2 run dense.yaml
job orphan "weights: bad_orphan_buffer.safetensors"
expect_error 4 "bad_orphan_buffer.safetensors: tensor 'extra.running_mean' has no matching 'extra.weight'" \
    serial run orphan.yaml
pass "missing, mis-shaped and stray buffers: one error naming the tensor and the layer"

out=$(ntk serial plan seeded.yaml 2>&1) || fail "plan: $out"
printf '%s\n' "$out" | grep -q 'batch_norm' && printf '%s\n' "$out" | grep -q 'layer_norm' \
    || fail "plan does not list the normalisation layers: $out"
pass "plan lists batch_norm and layer_norm"
