# kernel.precision mixed and float32 for conv networks (docs/precision.md):
# conv 3x3 16, batch_norm, relu, conv 3x3 16, layer_norm, relu, avg_pool 3,
# conv 3x3 512 (2x2 positions: the pairwise form), relu, global_avg_pool,
# dense 3; the other conv and the norm layers in the Jacobian-block form
# (their tile term (1/k) <J_l, J_l'> one fixed-order SGEMM per tile; the pairwise
# layer's two position Grams SGEMMs per pair of inputs). Against float64 on
# the same job: Theta within the stated relative error and 1e-5
# (Frobenius), the eigenvalues above the stated bound within it; the stated
# P is the widest block's depth plus the roundings (k C_out (C_in kh kw + 1)
# + 2; float32 + 1) plus twice the float32 GEMMs of the passes and of the
# block that reach it (the conv and dense layers' passes and the conv
# blocks are SGEMMs; the norm layers' stay float64); mixed and float32 Theta byte-identical on 1 and 2
# ranks. With kernel.chunk_mib: 1 the 16-channel conv layer's block and the
# pairwise layer go in chunk passes (their products added in float64;
# float32 rounds the stored Theta once more per pass, which P counts): still
# within the bound; float32 predictions (the cross kernel's float32
# products, chunked) against float64's.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch precision-conv)
cd "$dir"
# c.yaml: Theta and its spectrum; p.yaml: predictions (float64 and float32:
# mixed refuses held-out inputs) of the net without the norm layers and of
# 32 inputs, whose eigenvalues are all above float32's bound (with the norm
# layers or 40 inputs some are not: left out of the float32 predictions,
# they would not match float64's); its cross kernel (N_test x N, 120 vectors
# held) is chunked at 1 MiB though Theta's is not)
layers='{conv: {channels: 16, kernel: 3}}, batch_norm, relu, {conv: {channels: 16, kernel: 3}}, layer_norm, relu, {avg_pool: {window: 3, stride: 3}}, {conv: {channels: 512, kernel: 3}}, relu, global_avg_pool, {dense: 3}'
net='output: {theta: true}\ngrid: {block: 8}\nmodel:\n  b_std: 0.1\n'
data='inputs: {synthetic: gaussian, n: 40, shape: [6, 6, 2], seed: 1}, targets: {synthetic: sine, seed: 2}'
printf "name: c\ndata: {$data}\n${net}  layers: [$layers]\n" > c.yaml
printf "name: p\ndata: {$data, test_inputs: {synthetic: gaussian, n: 8, shape: [6, 6, 2], seed: 3}}\npredict: {steps: [1, 10], infinite: false}\n${net}  layers: [$layers]\n" \
    | sed 's/ batch_norm,//; s/ layer_norm,//; s/n: 40,/n: 32,/' > p.yaml
plan=$(ntk serial plan c.yaml --format yaml --set kernel.chunk_mib=1 --set kernel.precision=float32)
echo "$plan" | grep -q '{layer: 3, form: jacobian block.*chunk_rows: [1-9]' \
    && echo "$plan" | grep -q '{layer: 7, form: pairwise.*chunk_rows: [1-9]' \
    || fail "plan: not the forms and chunks the test is for: $plan"
passes=$(echo "$plan" | awk '$1 == "passes:" {print $2}')
[ "${passes:-0}" -ge 2 ] \
    || fail "kernel.chunk_mib 1 gives ${passes:-no} chunk passes (the test would not test them)"
export passes
ntk serial run c.yaml --out float64 > /dev/null || fail "float64 run"
for p in mixed float32; do
    job=c.yaml P=8116; [ $p = float32 ] && P=8117
    ntk serial run $job --out $p-1 --set kernel.precision=$p > $p.log 2>&1 \
        || fail "$p run: $(cat $p.log)"
    grep -Eq "precision $p: Theta's relative error <= [0-9.e+-]+ \(P = $P float32 terms" $p.log \
        || fail "$p: the log lacks the error statement with the block's P = $P: $(cat $p.log)"
    ntk 2 run $job --out $p-2 --set kernel.precision=$p > /dev/null || fail "$p on 2 ranks"
    cmp -s $p-1/theta.npy $p-2/theta.npy || fail "$p Theta differs between 1 and 2 ranks"
    ntk serial run $job --out $p-chunked --set kernel.precision=$p --set kernel.chunk_mib=1 \
        > /dev/null || fail "$p with chunk passes"
done
ntk serial run p.yaml --out predict-float64 > /dev/null || fail "float64 predictions"
ntk serial run p.yaml --out predict-float32 --set kernel.precision=float32 --set kernel.chunk_mib=1 \
    > /dev/null || fail "float32 predictions with chunk passes"
py - <<'PY' || fail "conv mixed and float32 against float64"
import os, numpy as np, yaml
u = 2.0 ** -24
t64 = np.load("float64/theta.npy")
# the widest Jacobian block: k C_out (C_in 3 3 + 1) = 3 16 (16 9 + 1) values,
# plus, twice (both inputs of the pair), the float32 GEMMs it carries (each
# its depth + 2): its input the first conv layer's forward (2 3 3), its
# cotangents the backward GEMMs of the pairwise conv layer (512 channels)
# and the dense layer (3), and its block's own sum over the 6 x 6 positions
depth = 3 * 16 * (16 * 9 + 1) + 2 * ((18 + 2) + (512 + 2) + (3 + 2) + (36 + 2))
for run in ("mixed-1", "float32-1", "mixed-chunked", "float32-chunked"):
    summary = yaml.safe_load(open(f"{run}/summary.yaml"))
    stated = summary["precision"]
    P = stated["accumulation_length"]
    expected = depth + 2 + (1 if run.startswith("float32") else 0)
    if run == "float32-chunked":
        # one more rounding of the stored Theta per chunk pass
        expected += int(os.environ["passes"])
    assert P == expected, (run, P, expected)
    assert stated["theta_relative_error_bound"] == P * u, stated
    t = np.load(f"{run}/theta.npy")
    assert t.dtype == (np.float32 if run.startswith("float32") else np.float64), (run, t.dtype)
    rel = np.linalg.norm(t - t64) / np.linalg.norm(t64)
    assert 0 < rel < 1e-5 and rel <= stated["theta_relative_error_bound"], (run, rel)
    e64, e = np.load("float64/eigenvalues.npy"), np.load(f"{run}/eigenvalues.npy")
    bound = stated["eigenvalue_error_bound"]
    meaningful = e > bound
    assert stated["eigenvalues_above_bound"] == meaningful.sum() >= 10, stated
    assert np.all(np.abs(e - e64)[meaningful] <= bound), (run, np.abs(e - e64).max(), bound)
    print(f"{run}: Theta relative error {rel:.3g} (P = {P}, bound {P * u:.3g}), "
          f"eigenvalues within {np.abs(e - e64)[meaningful].max():.3g} (bound {bound:.3g})")
# float32 predictions through the meaningful modes, the cross kernel in float32 products
# (the wider conv layer in the cross kernel's chunk passes, the other resident)
p64, p32 = np.load("predict-float64/test_predictions.npy"), np.load("predict-float32/test_predictions.npy")
assert yaml.safe_load(open("predict-float32/summary.yaml"))["predict"]["modes_used"] == 32
gap = np.abs(p32 - p64).max() / np.abs(p64).max()
assert p32.shape == p64.shape and gap < 1e-5, gap
print(f"float32 predictions within {gap:.3g} of float64's (relative to the largest)")
PY
pass "conv mixed and float32 within the stated error of float64, identical on 1 and 2 ranks"
