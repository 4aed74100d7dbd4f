# scripts/torch2ntk.py (docs/torch.md): PyTorch models exported with
# torch.fx to model.yaml + weights.safetensors.
#   - a small CNN (conv without bias and padding 1, BatchNorm2d with random
#     running statistics, functional relu, max pooling, a stride-2 conv,
#     torch.flatten of C x H x W = 5 x 2 x 2 values into a Linear,
#     BatchNorm1d, dropout, tanh) and a LayerNorm MLP: ntkgram runs the
#     exported job as written and its Theta (full and trace) equals torch
#     autograd's to 1e-10, and its f is torch's f (residual norm < 1e-12);
#   - a residual MLP (identity and Linear shortcuts), a torch.cat net and a
#     torchvision-style ResNet (BasicBlock, out += identity, a downsampling
#     shortcut): the residual / parallel blocks of model.layers, checked as
#     YAML, and, in a build that has those forms, Theta against autograd as
#     above (a build without them must refuse exactly the block forms);
#   - nn.Upsample, x * 2 and a missing builder: one error line naming the
#     module or function and its fx node, exit 1, nothing written.
. "$NTK_TESTS_DIR/lib.sh"
need_python
"$NTK_PYTHON" -c "import torch.fx" 2>/dev/null || { echo "SKIPPED: python3-torch is not installed"; exit 0; }
dir=$(scratch torch2ntk)
cd "$dir"
tool="$NTK_SOURCE_DIR/scripts/torch2ntk.py"
models="$NTK_TESTS_DIR/tools/torch2ntk_models.py"

py -c "
import numpy as np
rng = np.random.default_rng(4)
np.save('images.npy', rng.standard_normal((5, 8, 8, 3)))   # N x H x W x C
np.save('features.npy', rng.standard_normal((6, 6)))
" || fail "writing inputs"

check_export() { # NAME SHAPE INPUTS
    local name=$1 shape=$2 inputs=$3
    out=$(py "$tool" "$models" "$name" --input-shape "$shape" --out "export-$name" 2>&1) \
        || fail "$name: export: $out"
    [ -s "export-$name/model.yaml" ] && [ -s "export-$name/weights.safetensors" ] \
        || fail "$name: model.yaml or weights.safetensors missing"
    py "$NTK_TESTS_DIR/tools/torch2ntk_reference.py" "$models" "$name" "$inputs" "ref-$name" \
        || fail "$name: torch reference"
    cp "$inputs" "export-$name/inputs.npy"
    for outputs in full trace; do
        log=$(cd "export-$name" && ntk 2 run model.yaml --set kernel.outputs=$outputs \
              --set data.targets="$dir/ref-${name}_f.npy" --set output.theta=true \
              --set output.dir=out-$outputs 2>&1) \
            || fail "$name: ntkgram on the export ($outputs): $log"
        compare_npy "export-$name/out-$outputs/theta.npy" \
            "ref-${name}_$outputs.npy" 1e-10 || fail "$name: $outputs Theta differs from torch autograd"
    done
    # targets = torch's f: ntkgram's f_0 - y is zero
    norm=$(grep -m1 '^  residual_norm:' "export-$name/out-full/summary.yaml" | awk '{print $2}')
    { [ "$norm" != null ] && null_or_below "$norm" 1e-12; } \
        || fail "$name: ||f_0 - f_torch|| = $norm: ntkgram's f is not torch's"
}
check_export SmallCNN 3,8,8 images.npy
grep -q 'flatten' export-SmallCNN/model.yaml && grep -q 'batch_norm: {eps: 0.001, name: bn2}' \
    export-SmallCNN/model.yaml || fail "SmallCNN: model.yaml: $(cat export-SmallCNN/model.yaml)"
pass "SmallCNN (BatchNorm2d/1d eval, max_pool, stride-2 conv, flatten + Linear): Theta == torch autograd (full, trace)"
check_export layer_norm_mlp 6 features.npy
pass "LayerNorm MLP: Theta == torch autograd (full, trace)"

# The block forms, as YAML (their layers are model.layers' residual and
# parallel forms, docs/torch.md).
py -c "
import numpy as np
rng = np.random.default_rng(6)
np.save('images2.npy', rng.standard_normal((5, 6, 6, 2)))
" || fail "writing inputs"
for case in ResidualMLP:6:features.npy ConcatNet:2,6,6:images2.npy TinyResNet:3,8,8:images.npy; do
    IFS=: read -r name shape inputs <<<"$case"
    check_export "$name" "$shape" "$inputs"
    pass "$name: Theta == torch autograd (full, trace)"
done
py - <<'PY' || fail "residual / parallel blocks"
import yaml
layers = yaml.safe_load(open("export-ResidualMLP/model.yaml"))["model"]["layers"]
block = lambda name: {"residual": {"body": [{"layer_norm": {"name": name + ".norm"}},
                                            {"dense": {"width": 8, "name": name + ".fc1"}}, "relu",
                                            {"dense": {"width": 8, "name": name + ".fc2"}}]}}
want = [{"dense": {"width": 8, "name": "embed"}}, block("blocks.0"), block("blocks.1"),
        {"residual": {"body": [{"layer_norm": {"name": "body.0"}},
                               {"dense": {"width": 8, "name": "body.1"}}, "tanh"],
                      "shortcut": [{"dense": {"width": 8, "name": "project"}}]}},
        {"layer_norm": {"name": "norm"}}, {"dense": {"width": 2, "name": "head"}}]
assert layers == want, layers
layers = yaml.safe_load(open("export-ConcatNet/model.yaml"))["model"]["layers"]
want = [{"conv": {"channels": 3, "kernel": 3, "padding": "same", "name": "stem"}}, "relu",
        {"parallel": {"branches": [[{"conv": {"channels": 2, "kernel": 1, "padding": 0, "name": "left"}}],
                                   [{"conv": {"channels": 4, "kernel": 3, "padding": "circular",
                                              "name": "right"}}]],
                      "merge": "concat"}},
        "global_avg_pool", "flatten", {"dense": {"width": 2, "name": "fc"}}]
assert layers == want, layers
layers = yaml.safe_load(open("export-TinyResNet/model.yaml"))["model"]["layers"]
conv = lambda c, name, stride=1, k=3, p=1: {"conv": {"channels": c, "kernel": k,
                                                   **({"stride": stride} if stride != 1 else {}),
                                                   "padding": p, "bias": False, "name": name}}
bn = lambda name: {"batch_norm": {"name": name}}
want = [conv(4, "conv1"), bn("bn1"), "relu",
        {"residual": {"body": [conv(4, "layer1.0.conv1"), bn("layer1.0.bn1"), "relu",
                               conv(4, "layer1.0.conv2"), bn("layer1.0.bn2")]}}, "relu",
        {"residual": {"body": [conv(8, "layer2.0.conv1", 2), bn("layer2.0.bn1"), "relu",
                               conv(8, "layer2.0.conv2"), bn("layer2.0.bn2")],
                      "shortcut": [conv(8, "layer2.0.downsample.0", 2, 1, 0),
                                   bn("layer2.0.downsample.1")]}}, "relu",
        "global_avg_pool", "flatten", {"dense": {"width": 3, "name": "fc"}}]
assert layers == want, layers
PY
pass "residual (identity, Linear and torchvision-style downsampling shortcuts) and torch.cat (parallel concat) blocks"

refuse() { # NAME SHAPE REGEX
    rm -rf "refused-$1"
    out=$(py "$tool" "$models" "$1" --input-shape "$2" --out "refused-$1" 2>&1); rc=$?
    [ $rc -eq 1 ] || fail "$1: exit $rc, expected 1: $out"
    [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "$1: expected one line: $out"
    printf '%s\n' "$out" | grep -Eq -- "$3" || fail "$1: message does not match /$3/: $out"
    [ ! -e "refused-$1/model.yaml" ] && [ ! -e "refused-$1/weights.safetensors" ] \
        || fail "$1: something was written"
}
refuse Upsampling 1,6,6 "^torch2ntk: error: torch2ntk_models.py:Upsampling: fx node 'features_1', module 'features.1': unsupported module torch.nn.modules.upsampling.Upsample; nothing written$"
refuse Doubling 3 "^torch2ntk: error: torch2ntk_models.py:Doubling: fx node 'mul': unsupported function mul; nothing written$"
refuse NoSuchModel 3 "^torch2ntk: error: .*torch2ntk_models.py: no function or class 'NoSuchModel'$"
pass "unsupported module, unsupported function, missing builder: one line naming it, exit 1, nothing written"
