# Training conv networks (gradient through each layer's param_vjp): the
# measured loss of full-batch gradient descent equals PyTorch autograd's
# step by step (conv_torch_training.py: a 2-D network with same and valid
# stride-2 convolutions, avg_pool and flatten; a 1-D one with circular
# padding, a conv without bias and global_avg_pool), state_dicts loaded
# unchanged, on 1 and 2 ranks, to 1e-12 relative; skipped with a clear
# message only if torch is missing.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch conv-training)
cd "$dir"
steps=12
out=$(py "$NTK_TESTS_DIR/train/conv_torch_training.py" "$dir" $steps 0.4); rc=$?
if [ $rc -eq 77 ]; then echo "$out"; exit 0; fi  # torch missing: skipped, with the reason
[ $rc -eq 0 ] || fail "conv_torch_training.py: $out"
echo "$out"
for case in conv2d conv1d; do
    cat > "$case.yaml" <<JOB
data: {inputs: $case.npy, targets: ${case}_y.npy}
model:
  layers: $(cat "$case.layers")
  parameterization: standard
  weights: $case.safetensors
grid: {block: 4}
training: {steps: $steps, learning_rate: 0.4, record_every: 1}
output: {dir: out, plot: false}
JOB
    for ranks in serial 2; do
        log=$(ntk $ranks run "$case.yaml" --out "out-$case-$ranks" 2>&1) \
            || fail "training run ($case, $ranks ranks): $log"
        py - "${case}_loss.npy" "out-$case-$ranks/training.csv" "$case" "$ranks" <<'PY' \
            || fail "training loss differs from torch ($case, $ranks ranks)"
import sys
import numpy as np
case, ranks = sys.argv[3], sys.argv[4].replace("serial", "1")
want = np.load(sys.argv[1])
got = np.loadtxt(sys.argv[2], delimiter=",", skiprows=1, usecols=1)
assert got.shape == want.shape, (got.shape, want.shape)
assert want[-1] < 0.9 * want[0], f"torch's loss barely moved: {want}"
error = np.abs(got - want).max() / want.max()
print(f"{case} on {ranks} ranks: ntkgram vs torch gradient descent {error:.2e} "
      f"(loss {got[0]:.6f} -> {got[-1]:.6f})")
assert error < 1e-12, (got, want)
PY
    done
done
pass "conv networks train as in torch, step by step"
