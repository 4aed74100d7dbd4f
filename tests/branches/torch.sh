# Residual and parallel blocks against PyTorch autograd (torch_branches.py):
# a residual MLP with an identity and with a dense shortcut, a conv ResNet
# block with a stride-2 1x1 conv shortcut (bias: false, weights by name), a
# parallel concat of dense and of conv branches (with an identity branch
# and a nested residual) and a parallel sum. Theta, trace and full,
# standard and ntk, jacobian and structured, to 1e-10 relative on 2 ranks
# (torch.sh CASE...: the cases this test runs)
# from the state_dict (unnamed layers by the file's order); f is torch's;
# output.params written and read back gives the same Theta.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch "branches-torch-$1")  # one folder per registered case list: they run in parallel
cd "$dir"
out=$(py "$NTK_TESTS_DIR/branches/torch_branches.py" "$dir"); rc=$?
if [ $rc -eq 77 ]; then echo "$out"; exit 0; fi  # torch missing: skipped, with the reason
[ $rc -eq 0 ] || fail "torch_branches.py: $out"
echo "$out"

for case in "$@"; do
    for combination in standard/trace/structured ntk/full/jacobian standard/full/structured; do
        IFS=/ read -r param outputs method <<<"$combination"
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
output: {dir: out-$name, theta: true, plot: false, eigenvectors: false, params: true}
JOB
        log=$(ntk 2 run "$name.yaml" 2>&1) || fail "$name: $log"
        compare_npy "out-$name/theta.npy" "${case}_${param}_$outputs.npy" 1e-10 \
            || fail "$name: Theta differs from torch autograd"
        if [ "$param" = standard ]; then
            norm=$(grep -m1 '^  residual_norm:' "out-$name/summary.yaml" | awk '{print $2}')
            null_or_below "$norm" 1e-12 \
                || fail "$name: ||f_0 - f_torch|| = $norm: ntkgram's f is not torch's"
        fi
    done
    # The parameters written back load to the same Theta.
    sed "s|weights: $case.safetensors|weights: out-$case-ntk-full-jacobian/params.safetensors|; s|dir: out-$case-ntk-full-jacobian|dir: back-$case|" \
        "$case-ntk-full-jacobian.yaml" > "back-$case.yaml"
    log=$(ntk serial run "back-$case.yaml" --quiet 2>&1) || fail "$case: weights written back: $log"
    compare_npy "back-$case/theta.npy" "${case}_ntk_full.npy" 1e-10 \
        || fail "$case: output.params does not load back to the same Theta"
    pass "$case: Theta == torch autograd (trace, full; standard, ntk; jacobian, structured), f is torch's, output.params loads back"
done
