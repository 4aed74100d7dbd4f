# layer_norm and eval-mode batch_norm against PyTorch autograd
# (norm_torch.py): an MLP with LayerNorm, a conv net with BatchNorm2d and
# BatchNorm1d (gamma, beta and running statistics away from their initial
# values, num_batches_tracked in the file). Theta, trace and full, standard
# and ntk parameterisations, jacobian and structured methods, to 1e-10
# relative, from the nn.Sequential's state_dict; f is torch's f. Then the
# structured trace and full Theta on 1, 2, 3 and 4 ranks agree to 1e-12
# (as tests/e2e/rank_independence.sh asks), and the matrix-free top-3 eigenvalues equal the dense
# solver's.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch norm-torch)
cd "$dir"
out=$(py "$NTK_TESTS_DIR/model/norm_torch.py" "$dir"); rc=$?
if [ $rc -eq 77 ]; then echo "$out"; exit 0; fi  # torch missing: skipped, with the reason
[ $rc -eq 0 ] || fail "norm_torch.py: $out"
echo "$out"

job() { # name case param outputs method ranks-extra
    cat > "$1.yaml" <<JOB
data: {inputs: $2.npy, targets: ${2}_f.npy}
model:
  layers: $(cat "$2.layers")
  parameterization: $3
  w_std: 1.3
  b_std: 0.4
  weights: $2.safetensors
kernel: {method: $5, outputs: $4}
grid: {block: 3}
output: {dir: out-$1, theta: ${7:-true}, plot: false, eigenvectors: false}
$6
JOB
}

for case in mlp_layer_norm conv_batch_norm; do
    for combination in standard/trace/structured standard/full/jacobian ntk/trace/jacobian \
        ntk/full/structured; do
        IFS=/ read -r param outputs method <<<"$combination"
        name=$case-$param-$outputs-$method
        job "$name" "$case" "$param" "$outputs" "$method" ""
        log=$(ntk 2 run "$name.yaml" 2>&1) || fail "$name: $log"
        compare_npy "out-$name/theta.npy" "${case}_${param}_$outputs.npy" 1e-10 \
            || fail "$name: Theta differs from torch autograd"
        if [ "$param" = standard ]; then
            norm=$(grep -m1 '^  residual_norm:' "out-$name/summary.yaml" | awk '{print $2}')
            null_or_below "$norm" 1e-12 \
                || fail "$name: ||f_0 - f_torch|| = $norm: ntkgram's f is not torch's"
        fi
    done
    pass "$case: Theta == torch autograd (trace, full; standard, ntk; jacobian, structured), f == torch's f"

    for outputs in trace full; do
        for ranks in 1 2 3 4; do
            name=$case-$outputs-ranks$ranks
            job "$name" "$case" standard "$outputs" structured ""
            log=$(ntk "$ranks" run "$name.yaml" 2>&1) || fail "$name: $log"
        done
        for ranks in 2 3 4; do
            compare_npy "out-$case-$outputs-ranks1/theta.npy" \
                "out-$case-$outputs-ranks$ranks/theta.npy" 1e-12 || fail "$case: $outputs Theta on $ranks ranks differs from 1 rank"
        done
    done
    pass "$case: Theta (trace, full) the same on 1, 2, 3, 4 ranks (1e-12)"

    job "$case-dense" "$case" standard full structured "spectrum: {top: 3}"
    job "$case-mf" "$case" standard full structured "spectrum: {top: 3, solver: matrix_free}" false
    for name in "$case-dense" "$case-mf"; do
        log=$(ntk 2 run "$name.yaml" 2>&1) || fail "$name: $log"
    done
    py -c "
import numpy as np, sys
a = np.load('out-$case-dense/eigenvalues.npy'); b = np.load('out-$case-mf/eigenvalues.npy')
a = np.sort(a)[::-1][:3]; b = np.sort(b)[::-1][:3]
sys.exit(0 if np.allclose(a, b, rtol=1e-9, atol=0) else 1)" \
        || fail "$case: matrix-free top-3 eigenvalues differ from the dense solver's"
    pass "$case: matrix-free top-3 == dense top-3"
done
