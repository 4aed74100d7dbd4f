# diagnostics.per_layer on a conv net's analytic kernel: the NTK recursion
# splits by layer exactly (Theta_l follows only layer l's Sigma' through the
# later maps), so on 2 ranks the theta_layer_<l>.npy of a conv, pool, erf,
# flatten, dense net sum to theta.npy (1e-13), the last layer's (a dense
# layer: its own Sigma' and nothing propagated) is nngp.npy, layers.csv's
# traces are the matrices', and 1 rank gives the same bits.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch analytic-conv-per-layer)
cd "$dir"
cat > job.yaml <<'YAML'
data: {inputs: {synthetic: gaussian, n: 10, shape: [5, 4, 2], seed: 3}}
model:
  layers: [{conv: {channels: 2, kernel: 3}}, relu, {avg_pool: {window: 2, stride: 1}},
           {conv: {channels: 3, kernel: 2, padding: valid}}, erf, flatten, {dense: 2}]
  w_std: 1.3
  b_std: 0.2
kernel: {kind: analytic, nngp: true}
diagnostics: {per_layer: true}
spectrum: {solver: pdsyevd}
output: {dir: out, theta: true, plot: false, theta_layers: true}
YAML
ntk 2 run job.yaml --quiet --out "$dir/two" || fail "per-layer run on 2 ranks"
ntk serial run job.yaml --quiet --out "$dir/one" || fail "per-layer run on 1 rank"
py - "$dir/two" "$dir/one" <<'PY' || fail "per-layer kernels"
import csv, sys
import numpy as np
two, one = sys.argv[1], sys.argv[2]
theta, nngp = np.load(f"{two}/theta.npy"), np.load(f"{two}/nngp.npy")
layers = [np.load(f"{two}/theta_layer_{l}.npy") for l in (1, 2, 3)]
total = np.abs(sum(layers) - theta).max() / np.abs(theta).max()
assert total < 1e-13, f"sum of Theta_l vs Theta: {total:.3g}"
last = np.abs(layers[-1] - nngp).max() / np.abs(nngp).max()
assert last < 1e-15, f"the dense layer's Theta_l vs the NNGP kernel: {last:.3g}"
assert all(np.abs(l).max() > 1e-3 * np.abs(theta).max() for l in layers), "a vanishing Theta_l"
rows = list(csv.DictReader(open(f"{two}/layers.csv")))
for row, matrix in zip(rows, layers):
    assert abs(float(row["trace"]) - np.trace(matrix)) <= 1e-12 * abs(np.trace(matrix)), row
for l in (1, 2, 3):
    a, b = np.load(f"{two}/theta_layer_{l}.npy"), np.load(f"{one}/theta_layer_{l}.npy")
    assert np.array_equal(a, b), f"Theta_{l} differs between 2 ranks and 1"
print(f"sum of Theta_l vs Theta {total:.2g}, last layer vs NNGP {last:.2g}")
PY
pass "analytic conv kernel: per-layer kernels sum to Theta, the last is the NNGP kernel"
