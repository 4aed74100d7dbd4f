# training.kernel_every (kernel_drift.csv) and training.mode_every
# (training_modes.csv) against numpy:
#   - the kernels at the recorded steps are recomputed by separate runs from
#     the parameters at those steps (training runs of 10 and 20 steps write
#     params.safetensors; gradient descent is deterministic), and every
#     column of kernel_drift.csv is checked against numpy on those theta.npy
#     files and training.csv (check_drift.py, 1e-10);
#   - training_modes.csv's projections at steps 0, 10 and 20 against numpy
#     from the eigenvectors of Theta_0 and a numpy forward pass with the
#     parameters of those steps (check_modes.py, 1e-10), trace and full;
#   - both files identical on 1 and 3 ranks (1e-10);
#   - refusals at validate: kernel_every with an analytic kernel,
#     mode_every without eigenvectors.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch diagnostics-drift-modes)
cd "$dir"
py -c "import numpy as np; r = np.random.default_rng(8); x = r.standard_normal((14, 3)); np.save('x.npy', x); np.save('y.npy', np.sin(x @ [[1.0, 0.5], [-0.7, 1.1], [0.3, -0.2]]))"

train_job() { # NAME STEPS OUTPUTS [WEIGHTS]
    cat > "$1.yaml" <<JOB
data: {inputs: x.npy, targets: y.npy}
model:
  layers: [{dense: 48}, relu, {dense: 32}, tanh, {dense: 2}]
  w_std: 1.4
  b_std: 0.2
  seed: 3${4:+
  weights: $4}
kernel: {outputs: $3}
training: {steps: $2, learning_rate: 0.8, record_every: 5, kernel_every: 10, mode_every: 5, modes: 6}
output: {dir: out-$1, theta: true, params: true, plot: true}
JOB
}
kernel_job() { # NAME WEIGHTS OUTPUTS
    cat > "$1.yaml" <<JOB
data: {inputs: x.npy, targets: y.npy}
model:
  layers: [{dense: 48}, relu, {dense: 32}, tanh, {dense: 2}]
  w_std: 1.4
  b_std: 0.2
  weights: $2
kernel: {outputs: $3}
spectrum: {solver: none}
output: {dir: out-$1, theta: true, plot: false}
JOB
}

for outputs in trace full; do
    train_job t20-$outputs 20 $outputs
    log=$(ntk 2 run t20-$outputs.yaml 2>&1) || fail "t20: $log"
    train_job t10-$outputs 10 $outputs
    log=$(ntk 2 run t10-$outputs.yaml 2>&1) || fail "t10: $log"
    for s in 10 20; do
        kernel_job k$s-$outputs out-t$s-$outputs/params.safetensors $outputs
        log=$(ntk 2 run k$s-$outputs.yaml 2>&1) || fail "kernel at step $s: $log"
    done
    # the parameters at step 0: the seed's model, written without training
    cat > t0-$outputs.yaml <<JOB
data: {inputs: x.npy, targets: y.npy}
model: {layers: [{dense: 48}, relu, {dense: 32}, tanh, {dense: 2}], w_std: 1.4, b_std: 0.2, seed: 3}
kernel: {outputs: $outputs}
spectrum: {solver: none}
output: {dir: out-t0-$outputs, params: true, plot: false}
JOB
    log=$(ntk 1 run t0-$outputs.yaml 2>&1) || fail "t0: $log"
    [ -s out-t20-$outputs/kernel_drift.svg ] && [ -s out-t20-$outputs/training_modes.svg ] \
        || fail "$outputs: no kernel_drift.svg or training_modes.svg"
    py "$NTK_TESTS_DIR/diagnostics_kernels/check_drift.py" out-t20-$outputs $outputs y.npy \
        out-t20-$outputs/theta.npy out-k10-$outputs/theta.npy out-k20-$outputs/theta.npy \
        || fail "$outputs: kernel_drift.csv differs from numpy"
    py "$NTK_TESTS_DIR/diagnostics_kernels/check_modes.py" out-t20-$outputs $outputs x.npy y.npy 1.4 0.2 0.8 \
        0:out-t0-$outputs/params.safetensors 10:out-t10-$outputs/params.safetensors \
        20:out-t20-$outputs/params.safetensors \
        || fail "$outputs: training_modes.csv differs from numpy"
    pass "$outputs: kernel_drift.csv and training_modes.csv == numpy"
done

for ranks in 1 3 4; do
    sed "s/out-t20-trace/out-ranks$ranks/" t20-trace.yaml > ranks$ranks.yaml
    log=$(ntk $ranks run ranks$ranks.yaml 2>&1) || fail "$ranks ranks: $log"
    for file in kernel_drift.csv training_modes.csv; do
        py - out-t20-trace/$file out-ranks$ranks/$file <<'PY' || fail "$ranks ranks: $file differs"
import csv, sys
a = list(csv.reader(open(sys.argv[1])))
b = list(csv.reader(open(sys.argv[2])))
assert a[0] == b[0] and len(a) == len(b)
for x, y in zip(a[1:], b[1:]):
    for u, v in zip(x, y):
        if u == "" or v == "":
            assert u == v, (x, y)
        else:
            assert abs(float(u) - float(v)) <= 1e-10 * max(abs(float(v)), 1e-12), (x, y)
PY
    done
done
pass "kernel_drift.csv and training_modes.csv identical on 1, 2, 3 and 4 ranks"

cat > analytic.yaml <<'JOB'
data: {inputs: x.npy, targets: y.npy}
model: {layers: [{dense: 8}, relu, {dense: 2}]}
kernel: {kind: analytic}
training: {steps: 5,
  kernel_every: 2}
output: {dir: out-refused}
JOB
expect_error 3 'analytic.yaml:5:[0-9]+: training.kernel_every' 1 validate analytic.yaml
expect_error 3 'analytic.yaml:5:[0-9]+: training.kernel_every' 2 run analytic.yaml
cat > novectors.yaml <<'JOB'
data: {inputs: x.npy, targets: y.npy}
model: {layers: [{dense: 8}, relu, {dense: 2}]}
spectrum: {vectors: false}
training: {steps: 5,
  mode_every: 2}
output: {dir: out-refused}
JOB
expect_error 3 'novectors.yaml:5:[0-9]+: training.mode_every' 1 validate novectors.yaml
expect_error 3 'novectors.yaml:5:[0-9]+: training.mode_every' 2 run novectors.yaml
[ ! -e out-refused ] || fail "a refused job wrote out-refused/"
pass "refused at validate: kernel_every with an analytic kernel, mode_every without eigenvectors"
