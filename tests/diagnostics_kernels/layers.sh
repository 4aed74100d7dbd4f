# Per-layer kernels Theta_l (diagnostics.per_layer) through the binary:
#   - dense MLP (trace and full; structured and jacobian) and a conv net
#     (trace and full; structured, chunked structured, jacobian): each
#     theta_layer_<l>.npy against PyTorch autograd restricted to that layer's
#     weight and bias (1e-10), sum_l Theta_l == Theta (1e-12), layers.csv
#     against numpy (check_layers.py);
#   - the same job on 1, 2, 3 and 4 ranks (and a 2 x 2 grid with another
#     block): layers.csv and the theta_layer files agree (1e-12);
#   - analytic kernel: check_layers.py and an independent numpy recursion
#     per layer (analytic_layers.py);
#   - refusals at validate, nothing written: output.theta_layers without
#     diagnostics.per_layer, per_layer with spectrum.solver matrix_free.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch diagnostics-layers)
cd "$dir"
out=$(py "$NTK_TESTS_DIR/diagnostics_kernels/torch_layers.py" "$dir"); rc=$?
if [ $rc -eq 77 ]; then echo "$out"; exit 0; fi
[ $rc -eq 0 ] || fail "torch_layers.py: $out"
echo "$out"

job() { # NAME CASE OUTPUTS METHOD [EXTRA KERNEL KEYS]
    cat > "$1.yaml" <<JOB
data: {inputs: $2.npy, targets: $2_y.npy}
model:
  layers: $(cat "$2.layers")
  parameterization: ntk
  w_std: 1.3
  b_std: 0.4
  weights: $2.safetensors
kernel: {method: $4, outputs: $3${5:+, $5}}
diagnostics: {per_layer: true}
grid: {block: 3}
output: {dir: out-$1, theta: true, theta_layers: true, plot: true, eigenvectors: false}
JOB
}

for case in mlp cnn; do
    for outputs in trace full; do
        for method in structured jacobian; do
            name=$case-$outputs-$method
            job "$name" $case $outputs $method
            log=$(ntk 2 run "$name.yaml" 2>&1) || fail "$name: $log"
            py "$NTK_TESTS_DIR/diagnostics_kernels/check_layers.py" "out-$name" $outputs \
                ${case}_y.npy "${case}_${outputs}_layer" || fail "$name: per-layer kernels"
            [ -s "out-$name/layers.svg" ] || fail "$name: no layers.svg"
            grep -q "layers.csv" "out-$name/summary.yaml" 2>/dev/null || true
        done
    done
    pass "$case: Theta_l == torch autograd per layer, sum == Theta, layers.csv == numpy"
done

# Conv layers in chunk passes (kernel.chunk_mib 1; plan must say so): each
# Theta_l of the chunked structured kernel == the jacobian method's (1e-12).
net=(--set 'data.inputs.shape=[8,8,16]' --set diagnostics.per_layer=true
     --set output.theta_layers=true --set output.theta=true
     --set 'model.layers=[{conv: {channels: 24, kernel: 3}}, relu, {conv: {channels: 24, kernel: 3}}, relu, global_avg_pool, {dense: 3}]')
small="$NTK_TESTS_DIR/conv/small_cnn.yaml"
passes=$(ntk serial plan "$small" --format yaml --set kernel.chunk_mib=1 "${net[@]}" | awk '$1 == "passes:" {print $2}')
[ "${passes:-0}" -ge 4 ] || fail "plan: $passes chunk passes with kernel.chunk_mib 1"
ntk 2 run "$small" --quiet --out chunked --set kernel.chunk_mib=1 "${net[@]}" || fail "chunked run"
ntk 2 run "$small" --quiet --out chunked-jacobian --set kernel.method=jacobian "${net[@]}" \
    || fail "jacobian run"
py - chunked chunked-jacobian <<'PY' || fail "chunked per-layer kernels differ from the jacobian method's"
import sys
import numpy as np
a, b = sys.argv[1], sys.argv[2]
total = 0
for l in range(1, 4):
    p, q = np.load(f"{a}/theta_layer_{l}.npy"), np.load(f"{b}/theta_layer_{l}.npy")
    assert np.max(np.abs(p - q)) <= 1e-12 * np.max(np.abs(q)), l
    total = total + p
theta = np.load(f"{a}/theta.npy")
assert np.max(np.abs(total - theta)) <= 1e-12 * np.max(np.abs(theta))
PY
pass "chunked conv layers ($passes passes): Theta_l == the jacobian method's, sum == Theta"

# Ranks and grids: the same numbers.
job ranks mlp trace structured
for ranks in 1 3 4; do
    sed "s/out-ranks/out-ranks$ranks/" ranks.yaml > ranks$ranks.yaml
    log=$(ntk $ranks run ranks$ranks.yaml 2>&1) || fail "ranks $ranks: $log"
done
sed "s/out-ranks/out-ranks2x2/; s/block: 3/block: 2, shape: [2, 2]/" ranks.yaml > ranks2x2.yaml
log=$(ntk 4 run ranks2x2.yaml 2>&1) || fail "2 x 2 grid: $log"
for other in ranks3 ranks4 ranks2x2; do
    py - out-ranks1 out-$other <<'PY' || fail "$other differs from 1 rank"
import csv, sys
import numpy as np
a, b = sys.argv[1], sys.argv[2]
ra = list(csv.reader(open(a + "/layers.csv")))
rb = list(csv.reader(open(b + "/layers.csv")))
assert ra[0] == rb[0] and len(ra) == len(rb)
for x, y in zip(ra[1:], rb[1:]):
    assert x[:4] == y[:4], (x, y)
    for u, v in zip(x[4:], y[4:]):
        assert abs(float(u) - float(v)) <= 1e-12 * max(abs(float(v)), 1e-300), (u, v)
for l in range(1, len(ra)):
    p, q = np.load(f"{a}/theta_layer_{l}.npy"), np.load(f"{b}/theta_layer_{l}.npy")
    assert np.max(np.abs(p - q)) <= 1e-12 * np.max(np.abs(p)), l
PY
done
pass "per-layer kernels and layers.csv identical on 1, 3, 4 ranks and a 2 x 2 grid"

# Analytic: the infinite-width recursion split by layer.
py -c "import numpy as np; r = np.random.default_rng(4); np.save('ax.npy', r.standard_normal((17, 5))); np.save('ay.npy', r.standard_normal((17, 2)))"
cat > analytic.yaml <<'JOB'
data: {inputs: ax.npy, targets: ay.npy}
model: {layers: [{dense: 8}, relu, {dense: 8}, erf, {dense: 8}, relu, {dense: 2}], w_std: 1.4, b_std: 0.3}
kernel: {kind: analytic}
diagnostics: {per_layer: true}
output: {dir: out-analytic, theta: true, theta_layers: true, plot: false}
JOB
log=$(ntk 3 run analytic.yaml 2>&1) || fail "analytic: $log"
py "$NTK_TESTS_DIR/diagnostics_kernels/check_layers.py" out-analytic trace ay.npy \
    || fail "analytic: per-layer kernels"
py "$NTK_TESTS_DIR/diagnostics_kernels/analytic_layers.py" out-analytic ax.npy 1.4 0.3 relu erf relu \
    || fail "analytic per-layer kernels differ from the numpy recursion"
pass "analytic: per-layer split == numpy recursion, sums to Theta, layers.csv == numpy"

# Named layers (model.layers' name:, as torch names them) fill layers.csv's
# name column; a name with a comma is quoted as CSV requires.
cat > named.yaml <<'JOB'
data: {inputs: {synthetic: gaussian, n: 9, dim: 3, seed: 1}}
model: {layers: [{dense: {width: 4, name: fc1}}, relu, {dense: {width: 1, name: "head,out"}}]}
diagnostics: {per_layer: true}
output: {dir: out-named, plot: false}
JOB
log=$(ntk 2 run named.yaml 2>&1) || fail "named layers: $log"
py - <<'PY' || fail "layers.csv's name column: $(cat out-named/layers.csv)"
import csv
rows = list(csv.reader(open("out-named/layers.csv")))
assert rows[0][2] == "name", rows[0]
assert [r[2] for r in rows[1:]] == ["fc1", "head,out"], rows
assert [r[1] for r in rows[1:]] == ["dense", "dense"], rows
PY
pass "layers.csv names each layer by its name: (CSV-quoted where needed)"

# Refusals at validate: file:line:col and key, nothing written.
cat > no-per-layer.yaml <<'JOB'
data: {inputs: {synthetic: gaussian, n: 9, dim: 3, seed: 1}}
model: {layers: [{dense: 4}, relu, {dense: 1}]}
output: {dir: out-refused, theta_layers: true}
JOB
expect_error 3 'no-per-layer.yaml:3:[0-9]+: output.theta_layers' 1 validate no-per-layer.yaml
expect_error 3 'no-per-layer.yaml:3:[0-9]+: output.theta_layers' 2 run no-per-layer.yaml
[ ! -e out-refused ] || fail "a refused job wrote out-refused/"
cat > matrix-free.yaml <<'JOB'
data: {inputs: {synthetic: gaussian, n: 9, dim: 3, seed: 1}}
model: {layers: [{dense: 4}, relu, {dense: 1}]}
spectrum: {solver: matrix_free, top: 2}
diagnostics: {per_layer: true}
output: {dir: out-refused}
JOB
expect_error 3 'matrix-free.yaml:4:[0-9]+: diagnostics.per_layer' 1 validate matrix-free.yaml
expect_error 3 'matrix-free.yaml:4:[0-9]+: diagnostics.per_layer' 2 run matrix-free.yaml
[ ! -e out-refused ] || fail "a refused job wrote out-refused/"
pass "refused at validate: theta_layers without per_layer, per_layer with matrix_free"
