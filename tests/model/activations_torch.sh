# The activations sigmoid, softplus, silu, leaky_relu (slope given and
# default), elu (alpha given and default) and abs against PyTorch autograd
# (activations_torch.py): Theta, trace and full, standard and ntk
# parameterisations, each with the jacobian or the structured method (both
# forms of each), to 1e-10 relative on 2 ranks, from the nn.Sequential's
# state_dict; f is torch's f.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch activations-torch)
cd "$dir"
out=$(py "$NTK_TESTS_DIR/model/activations_torch.py" "$dir"); rc=$?
if [ $rc -eq 77 ]; then echo "$out"; exit 0; fi  # torch missing: skipped, with the reason
[ $rc -eq 0 ] || fail "activations_torch.py: $out"
echo "$out"

for case in mlp_all conv_defaults; do
    for combination in standard/trace/structured standard/full/jacobian ntk/trace/jacobian \
        ntk/full/structured; do
        IFS=/ read -r param outputs method <<<"$combination"
        {
                name=$case-$param-$outputs-$method
                cat > "$name.yaml" <<JOB
data: {inputs: $case.npy, targets: ${case}_f.npy}
model:
  layers: $(cat "$case.layers")
  parameterization: $param
  w_std: 1.3
  b_std: 0.4
  weights: $case.safetensors
kernel: {method: $method, outputs: $outputs}
grid: {block: 3}
output: {dir: out-$name, theta: true, plot: false, eigenvectors: false}
JOB
                log=$(ntk 2 run "$name.yaml" 2>&1) || fail "$name: $log"
                compare_npy "out-$name/theta.npy" "${case}_${param}_$outputs.npy" 1e-10 \
                    || fail "$name: Theta differs from torch autograd"
                if [ "$param" = standard ]; then
                    norm=$(grep -m1 '^  residual_norm:' "out-$name/summary.yaml" | awk '{print $2}')
                    null_or_below "$norm" 1e-12 \
                        || fail "$name: ||f_0 - f_torch|| = $norm: ntkgram's f is not torch's"
                fi
        }
    done
    pass "$case: Theta == torch autograd (trace, full; standard, ntk; jacobian, structured), f == torch's f"
done
