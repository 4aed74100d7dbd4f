# torch's geometry options against PyTorch autograd (torch_options.py):
# bias: false on dense and conv (torch's bias=False), conv padding as an
# integer or a pair with strides (the ResNet stem's 3x3 / stride 2 /
# padding 1), avg_pool padding (zeros counted in the mean, as torch), 1-D and
# 2-D; max_pool (window, stride, padding as torch), 2-D and 1-D. Theta, trace and full, standard and ntk, each with the jacobian or the
# structured method, to 1e-10 relative on 2 ranks from the state_dict; f is
# torch's f; the parameter count is torch's; output.params writes the
# state_dict back (no bias tensors for bias: false layers); without a weights
# file (b_std > 0) the bias: false layers still have no bias; the analytic
# kernel leaves b_std out of exactly the bias: false layers.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch conv-torch-options)
cd "$dir"
out=$(py "$NTK_TESTS_DIR/conv/torch_options.py" "$dir"); rc=$?
if [ $rc -eq 77 ]; then echo "$out"; exit 0; fi  # torch missing: skipped, with the reason
[ $rc -eq 0 ] || fail "torch_options.py: $out"
echo "$out"

# Every run's params.safetensors against its state_dict (the same names,
# shapes and values), and each seeded run's names and shapes against torch's,
# checked in one Python start at the end.
same_pairs=() names_pairs=()

for case in mlp_bias_false conv2d_padding conv1d_padding conv2d_max_pool conv1d_max_pool; do
    for combination in standard/trace/structured standard/full/jacobian ntk/trace/jacobian \
        ntk/full/structured; do
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
        same_pairs+=("out-$name/params.safetensors" "$case.safetensors")
    done
    # From the seed, b_std > 0: the same parameter count as torch's module
    # (no biases in bias: false layers), and no such bias tensors written.
    grep -v '^  weights:' "$case-standard-trace-structured.yaml" > "seed-$case.yaml"
    log=$(ntk serial run "seed-$case.yaml" --quiet --out "seed-$case" 2>&1) \
        || fail "$case: run from the seed: $log"
    names_pairs+=("seed-$case/params.safetensors" "$case.safetensors")
    pass "$case: Theta == torch autograd (trace, full; standard, ntk; jacobian, structured), f is torch's"
done
py - "${#same_pairs[@]}" "${same_pairs[@]}" "${names_pairs[@]}" <<'PY' || fail "written parameters differ from torch's"
import json, struct, sys
import numpy as np
def load(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    return {k: (v["shape"], np.frombuffer(raw[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]], "<f8"))
            for k, v in header.items()}
count = int(sys.argv[1])
same, names = sys.argv[2:2 + count], sys.argv[2 + count:]
bad = []
for written, original in zip(same[::2], same[1::2]):
    a, b = load(written), load(original)
    if not (a.keys() == b.keys() and all(a[k][0] == b[k][0] and np.array_equal(a[k][1], b[k][1]) for k in a)):
        bad.append(f"{written}: differs from the state_dict")
for written, original in zip(names[::2], names[1::2]):
    a, b = load(written), load(original)
    if {k: v[0] for k, v in a.items()} != {k: v[0] for k, v in b.items()}:
        bad.append(f"{written}: the seed's parameter names or shapes differ from torch's")
if bad:
    sys.exit("; ".join(bad))
print(f"{len(same) // 2} written state_dicts equal, {len(names) // 2} seeded ones named as torch's")
PY
pass "params.safetensors: every run writes the state_dict back; a seeded run has torch's names and shapes"

# Analytic: b_std enters exactly the layers that have a bias.
py -c "import numpy as np; np.save('xa.npy', np.random.default_rng(2).standard_normal((7, 4)))"
cat > analytic.yaml <<JOB
data: {inputs: xa.npy}
model:
  layers: [{dense: {width: 64, bias: false}}, relu, {dense: 64}, relu, {dense: {width: 2, bias: false}}]
  w_std: 1.4
  b_std: 0.3
kernel: {kind: analytic}
output: {dir: out-analytic, theta: true, plot: false, eigenvectors: false}
JOB
ntk serial run analytic.yaml --quiet || fail "analytic run with bias: false"
py - <<'PY' || fail "analytic kernel with bias: false differs from the arc-cosine recursion"
import numpy as np
x, w, b = np.load("xa.npy"), 1.4, 0.3
def relu_step(sigma):
    s = np.sqrt(np.diag(sigma)); norms = np.outer(s, s)
    rho = np.clip(sigma / norms, -1, 1); np.fill_diagonal(rho, 1.0); t = np.arccos(rho)
    return norms / (2 * np.pi) * (np.sin(t) + (np.pi - t) * rho), (np.pi - t) / (2 * np.pi)
sigma = w**2 * x @ x.T / x.shape[1]          # layer 1: no bias
theta = sigma.copy()
for bias in (b, 0.0):                          # layer 2 with, layer 3 without
    e, d = relu_step(sigma)
    sigma = w**2 * e + bias**2
    theta = sigma + w**2 * d * theta
got = np.load("out-analytic/theta.npy")
err = np.abs(got - theta).max() / np.abs(theta).max()
print(f"analytic with bias: false vs numpy recursion: {err:.2e}")
raise SystemExit(0 if err < 1e-12 else 1)
PY
pass "analytic kernel: b_std left out of exactly the bias: false layers"

# max_pool: torch's padding limit (its missing infinite-width map is refused
# as every layer's, by analytic_supported; a conv before it is refused first).
printf 'data: {inputs: conv2d_max_pool.npy}\nmodel:\n  layers: %s\noutput: {dir: out-mp}\n' \
    "$(sed 's/stride: 2, padding: 1}}, {conv/stride: 2, padding: 2}}, {conv/' conv2d_max_pool.layers)" > mp_pad.yaml
expect_error 3 "model.layers\[2\]\.max_pool: padding \[2, 2\] is more than half the window \[3, 3\]" \
    serial validate mp_pad.yaml
pass "max_pool: padding beyond half the window refused"
