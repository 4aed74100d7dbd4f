# The CIFAR-style ResNet-18 of jobs/resnet18_cifar.py (torchvision's
# resnet18 with the 32 x 32 stem: conv1 3x3 stride 1 padding 1, maxpool =
# nn.Identity) exported by scripts/torch2ntk.py:
#   - at base width 8 with BatchNorm statistics away from 0 and 1: ntkgram
#     validates and plans the exported job, and on 4 inputs of 32 x 32 x 3 on
#     2 ranks its Theta (full and trace) equals torch autograd's to 1e-10
#     and its f is torch's f (residual norm < 1e-12);
#   - at base width 64: the exported layers are jobs/resnet18-cifar.yaml's
#     model.layers as committed, and the committed job validates with the
#     exported weights (11,173,962 parameters, torchvision's count);
#   - the exported files are readable as open() would make them under the
#     umask (644 under 022), not mkstemp's 0600.
. "$NTK_TESTS_DIR/lib.sh"
need_python
"$NTK_PYTHON" -c "import torch.fx, torchvision" 2>/dev/null \
    || { echo "SKIPPED: python3-torch or python3-torchvision is not installed"; exit 0; }
dir=$(scratch resnet18_export)
cd "$dir"
tool="$NTK_SOURCE_DIR/scripts/torch2ntk.py"
builders="$NTK_SOURCE_DIR/jobs/resnet18_cifar.py"

out=$(py "$tool" "$builders" resnet18_cifar_w8 --input-shape 3,32,32 --out w8 2>&1) \
    || fail "export (width 8): $out"
# the files get open()'s mode under the umask, not mkstemp's 0600
(umask 022 && py "$tool" "$builders" resnet18_cifar_w8 --input-shape 3,32,32 --out mode >/dev/null 2>&1) \
    || fail "export (umask 022)"
[ "$(stat -c %a mode/model.yaml mode/weights.safetensors | sort -u)" = 644 ] \
    || fail "exported files' modes: $(stat -c '%a %n' mode/*)"
py -c "
import numpy as np
np.save('w8/inputs.npy', np.random.default_rng(5).standard_normal((4, 32, 32, 3)))
" || fail "writing inputs"
log=$(ntk serial validate w8/model.yaml 2>&1) || fail "validate: $log"
printf '%s\n' "$log" | grep -q '10 outputs, 176402 parameters' || fail "validate: $log"
log=$(ntk serial plan w8/model.yaml --ranks 2 --set kernel.outputs=full 2>&1) || fail "plan: $log"
printf '%s\n' "$log" | grep -q 'peak' || fail "plan: $log"
py "$NTK_TESTS_DIR/tools/torch2ntk_reference.py" "$builders" resnet18_cifar_w8 w8/inputs.npy ref \
    || fail "torch reference"
for outputs in full trace; do
    log=$(cd w8 && ntk 2 run model.yaml --set kernel.outputs=$outputs --set data.targets="$dir/ref_f.npy" \
          --set output.theta=true --set output.dir=out-$outputs 2>&1) \
        || fail "ntkgram on the export ($outputs): $log"
    compare_npy "w8/out-$outputs/theta.npy" "ref_$outputs.npy" 1e-10 \
        || fail "$outputs Theta differs from torch autograd"
done
norm=$(grep -m1 '^  residual_norm:' w8/out-full/summary.yaml | awk '{print $2}')
{ [ "$norm" != null ] && null_or_below "$norm" 1e-12; } \
    || fail "||f_0 - f_torch|| = $norm: ntkgram's f is not torch's"
pass "ResNet-18 (CIFAR stem, base width 8): Theta == torch autograd (full, trace), f == torch's f"

out=$(py "$tool" "$builders" resnet18_cifar_w64 --input-shape 3,32,32 --out jobs/resnet18-cifar 2>&1) \
    || fail "export (width 64): $out"
cp "$NTK_SOURCE_DIR/jobs/resnet18-cifar.yaml" jobs/
py - <<'PY' || fail "jobs/resnet18-cifar.yaml's layers are not the exporter's"
import yaml
exported = yaml.safe_load(open("jobs/resnet18-cifar/model.yaml"))["model"]
committed = yaml.safe_load(open("jobs/resnet18-cifar.yaml"))["model"]
assert committed["layers"] == exported["layers"], "layers differ"
assert committed["parameterization"] == exported["parameterization"]
PY
log=$(ntk serial validate jobs/resnet18-cifar.yaml 2>&1) || fail "validate the committed job: $log"
printf '%s\n' "$log" | grep -q '10 outputs, 11173962 parameters' || fail "validate: $log"
pass "jobs/resnet18-cifar.yaml: the exporter's layers, validates with the exported weights (11173962 parameters)"
rm -f jobs/resnet18-cifar/weights.safetensors   # 89 MB
