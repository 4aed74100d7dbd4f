# training_modes.csv at width 4096: the measured decay of the top modes
# follows the prediction within the kernel's measured drift.
#
# A 4-4096-1 ReLU net on N = 64 inputs of the unit sphere, trained by 12 steps
# of gradient descent at eta = N k / (2 lambda_1) (rate_1 = 1/2: a regime where
# the discrete steps and gradient flow differ by far more than the drift), the
# kernel and the modes recorded at every step. check_modes_width.py checks
# every mode and step against the bound the kernel's change allows
# (its docstring derives it), that the `predicted` column is the discrete
# |1 - rate_i|^t |v_i . r_0| from numpy, and that gradient flow's
# `predicted_continuous` misses by more than the bound (so the test tells the
# two apart).
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch diagnostics-modes-width)
cd "$dir"
py -c "import numpy as np; r = np.random.default_rng(5); x = r.standard_normal((64, 4)); x /= np.linalg.norm(x, axis=1, keepdims=True); np.save('x.npy', x); np.save('y.npy', np.sin(3 * x[:, :1]) + 0.5 * x[:, 1:2] * x[:, 2:3])"

model='{layers: [{dense: 4096}, relu, {dense: 1}], w_std: 1.4142135623730951, b_std: 0.1, seed: 1}'
cat > spectrum.yaml <<JOB
data: {inputs: x.npy, targets: y.npy}
model: $model
output: {dir: out-spectrum, plot: false}
JOB
log=$(ntk 1 run spectrum.yaml 2>&1) || fail "spectrum: $log"
eta=$(py -c "import numpy as np; print(repr(0.5 * 64 / float(np.load('out-spectrum/eigenvalues.npy')[0])))")

cat > train.yaml <<JOB
data: {inputs: x.npy, targets: y.npy}
model: $model
training: {steps: 12, learning_rate: $eta, record_every: 1, kernel_every: 1, mode_every: 1, modes: 4}
output: {dir: out-train, plot: false, theta: true}
JOB
log=$(ntk 2 run train.yaml 2>&1) || fail "training: $log"
py "$NTK_TESTS_DIR/diagnostics_kernels/check_modes_width.py" out-train "$eta" ||
    fail "training_modes.csv does not follow the prediction within the kernel's drift"
pass "width 4096: every top mode within the kernel's drift of |1 - rate_i|^t |v_i . r_0|"
