# diagnostics.compare_weights: the kernel distance and the relative Frobenius
# distance between the job's kernel and the kernel of FILE's weights, against
# numpy on the two theta.npy files (1e-12), on 1 and 3 ranks, trace and full;
# a weights file of another model is refused at validate (and run) with the
# key's file:line:col, the file and the first tensor that does not fit, and
# nothing is written.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch diagnostics-compare-weights)
cd "$dir"

model='{layers: [{dense: 6}, tanh, {dense: 5}, relu, {dense: 2}], w_std: 1.3, b_std: 0.2'
for outputs in trace full; do
    cat > a-$outputs.yaml <<JOB
data: {inputs: {synthetic: gaussian, n: 15, dim: 3, seed: 1}, targets: {synthetic: sine, seed: 2}}
model: $model, seed: 1}
kernel: {outputs: $outputs}
output: {dir: out-a-$outputs, theta: true, params: true, plot: false}
JOB
    log=$(ntk 2 run a-$outputs.yaml 2>&1) || fail "a: $log"
    for ranks in 1 3; do
        cat > b-$outputs-$ranks.yaml <<JOB
data: {inputs: {synthetic: gaussian, n: 15, dim: 3, seed: 1}, targets: {synthetic: sine, seed: 2}}
model: $model, seed: 9}
kernel: {outputs: $outputs}
diagnostics:
  compare_weights: out-a-$outputs/params.safetensors
output: {dir: out-b-$outputs-$ranks, theta: true, plot: false}
JOB
        log=$(ntk $ranks run b-$outputs-$ranks.yaml 2>&1) || fail "b on $ranks ranks: $log"
        py - out-a-$outputs/theta.npy out-b-$outputs-$ranks/theta.npy out-b-$outputs-$ranks/summary.yaml <<'PY' \
            || fail "$outputs, $ranks ranks: distances differ from numpy"
import sys
import numpy as np
import yaml
a, b = np.load(sys.argv[2]), np.load(sys.argv[1])  # a: the job's kernel, b: FILE's
summary = yaml.safe_load(open(sys.argv[3]))["diagnostics"]
distance = 1 - np.sum(a * b) / (np.linalg.norm(a) * np.linalg.norm(b))
frobenius = np.linalg.norm(b - a) / np.linalg.norm(a)
assert distance > 1e-3, distance  # different weights: a real distance
for key, value in (("kernel_distance", distance), ("relative_frobenius_distance", frobenius)):
    got = summary[key]
    assert abs(got - value) <= 1e-12 * abs(value), (key, got, value)
print("kernel_distance", distance, "relative_frobenius_distance", frobenius)
PY
    done
done
pass "kernel distance and relative Frobenius distance == numpy (trace, full; 1 and 3 ranks)"

# Another model: a wider first layer. Refused, naming the key, file and tensor.
cat > other.yaml <<'JOB'
data: {inputs: {synthetic: gaussian, n: 15, dim: 3, seed: 1}}
model: {layers: [{dense: 7}, tanh, {dense: 5}, relu, {dense: 2}], w_std: 1.3, b_std: 0.2}
output: {dir: out-other, params: true, plot: false}
JOB
log=$(ntk 1 run other.yaml 2>&1) || fail "other: $log"
cat > refused.yaml <<JOB
data: {inputs: {synthetic: gaussian, n: 15, dim: 3, seed: 1}}
model: $model, seed: 9}
diagnostics:
  compare_weights: out-other/params.safetensors
output: {dir: out-refused}
JOB
regex='refused.yaml:4:[0-9]+: diagnostics.compare_weights: out-other/params.safetensors is not a weights file of the job.s model: .*0\.weight'
expect_error 3 "$regex" 1 validate refused.yaml
expect_error 3 "$regex" 2 run refused.yaml
[ ! -e out-refused ] || fail "a refused job wrote out-refused/"
pass "a weights file of another model is refused at validate and run, naming the key, file and tensor"
