# Conv networks against PyTorch autograd (torch_reference.py): Theta (trace
# and full, standard and ntk parameterisations) of conv2d/conv1d networks with
# same/valid/circular padding, strides, avg_pool, global_avg_pool and flatten,
# loaded from an nn.Sequential state_dict unchanged, to 1e-10 relative; the
# run's residual f_0 - y with y = torch's f is zero (ntkgram's f is torch's on
# x.permute(0, 3, 1, 2)); output.params writes the state_dict's layout back.
# METHODS (default "jacobian") lists the kernel methods to check.
. "$NTK_TESTS_DIR/lib.sh"
need_python
methods=${1:-jacobian}
dir=$(scratch "conv-torch-${methods// /-}")  # one folder per registered variant: they run in parallel
cd "$dir"
out=$(py "$NTK_TESTS_DIR/conv/torch_reference.py" "$dir"); rc=$?
if [ $rc -eq 77 ]; then echo "$out"; exit 0; fi  # torch missing: skipped, with the reason
[ $rc -eq 0 ] || fail "torch_reference.py: $out"
echo "$out"

# Every run's params.safetensors against its state_dict, all in one Python
# start at the end: pairs of (written, original).
params_pairs=()
for case in conv2d_flatten conv2d_circular_gap conv1d_pool conv1d_nobias conv2d_pairwise; do
    for param in standard ntk; do
        for outputs in trace full; do
            for method in $methods; do
                name=$case-$param-$outputs-$method
                cat > "$name.yaml" <<JOB
data: {inputs: $case.npy, targets: ${case}_f.npy}
model:
  layers: $(cat "$case.layers")
  parameterization: $param
  w_std: 1.3
  b_std: $([ $case = conv1d_nobias ] && echo 0 || echo 0.4)
  weights: $case.safetensors
kernel: {method: $method, outputs: $outputs}
grid: {block: 3}
output: {dir: out-$name, theta: true, plot: false, eigenvectors: false, params: true}
JOB
                log=$(ntk 2 run "$name.yaml" 2>&1) || fail "$name: $log"
                compare_npy "out-$name/theta.npy" "${case}_${param}_$outputs.npy" 1e-10 \
                    || fail "$name: Theta differs from torch autograd"
                if [ "$param" = standard ]; then
                    # y = torch's f: the residual is zero to rounding (or exactly: null).
                    norm=$(grep -m1 '^  residual_norm:' "out-$name/summary.yaml" | awk '{print $2}')
                    null_or_below "$norm" 1e-12 \
                        || fail "$name: ||f_0 - f_torch|| = $norm: ntkgram's f is not torch's"
                fi
                params_pairs+=("out-$name/params.safetensors" "$case.safetensors")
            done
        done
    done
    pass "$case: Theta == torch autograd (trace, full; standard, ntk), f == torch's f"
done
py - "${params_pairs[@]}" <<'PY' || fail "a params.safetensors differs from its state_dict"
import json, struct, sys
import numpy as np
def load(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    items = sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0])
    return [(v["shape"], np.frombuffer(raw[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]], "<f8"))
            for _, v in items]
bad = []
for written, original in zip(sys.argv[1::2], sys.argv[2::2]):
    a, b = load(written), load(original)
    if not (len(a) == len(b) and all(sa == sb and np.array_equal(va, vb) for (sa, va), (sb, vb) in zip(a, b))):
        bad.append(written)
if bad:
    sys.exit("differs from the state_dict: " + ", ".join(bad))
print(f"{len(sys.argv[1:]) // 2} params.safetensors equal to their state_dicts")
PY
pass "params.safetensors round-trips the state_dict in every run"
