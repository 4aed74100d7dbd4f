# kernel.precision mixed (docs/precision.md) against float64 on the same
# job: Theta within 1e-6 relative (Frobenius), the eigenvalues within 1e-6
# ||Theta||_F, and Theta bit-identical on 1, 2 (1 x 2) and 3 (3 x 1) ranks
# and for another grid.block (the eigenvalues as float64's: to its solver's
# rounding). The dense layers' forward and backward GEMMs run in float32 in
# units of the feature batch (kernel.chunk_mib 1 makes it 39 inputs for
# this net: 1 rank runs 3 batches, 2 and 3 ranks 2 each, some of them part
# of a unit), so the rank comparison covers several batches per rank and
# units split between ranks. A net with 3 outputs (the
# two-Gram form of every layer) and one with a single output (its last
# layer in the rank-one form).
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch precision-mixed)
cd "$dir"
for net in three one; do
    k=3; [ $net = one ] && k=1
    printf 'name: %s\ndata: {inputs: {synthetic: gaussian, n: 96, dim: 8, seed: 1}}\nmodel:\n  layers: [{dense: 48}, relu, {dense: 40}, tanh, {dense: %s}]\noutput: {theta: true}\ngrid: {block: 8}\n' \
        $net $k > $net.yaml
    ntk serial run $net.yaml --out $net-float64 > /dev/null || fail "$net float64 run"
    ntk serial run $net.yaml --out $net-mixed-1 --set kernel.precision=mixed --set kernel.chunk_mib=1 \
        > $net-mixed.log 2>&1 \
        || fail "$net mixed run: $(cat $net-mixed.log)"
    grep -Eq "precision mixed: Theta's relative error <= [0-9.e+-]+ \(P = [0-9]+ float32 terms" $net-mixed.log \
        && grep -Eq "precision mixed: every eigenvalue within [0-9.e+-]+ of float64's .*; [0-9]+ of the 96 eigenvalues are above it" $net-mixed.log \
        || fail "$net: the log lacks the error statement: $(cat $net-mixed.log)"
done
ntk 2 run three.yaml --out three-mixed-2 --set kernel.precision=mixed --set kernel.chunk_mib=1 \
    > /dev/null || fail "mixed on 2 ranks"
ntk 3 run three.yaml --out three-mixed-3 --set kernel.precision=mixed --set kernel.chunk_mib=1 \
    --set 'grid.shape=[3, 1]' > /dev/null \
    || fail "mixed on 3 ranks"
# another grid.block (13: blocks that do not divide N) on 2 ranks: the
# tiles' float32 products have a fixed order (core/fixed_sgemm.h)
ntk 2 run three.yaml --out three-mixed-block --set kernel.precision=mixed --set kernel.chunk_mib=1 \
    --set grid.block=13 > /dev/null || fail "mixed with grid.block 13"
# the portable fixed-order kernel (forced; the one a CPU without AVX2 and
# FMA runs): the same Theta, and the run warns that float64 is faster
NTK_TEST_FIXED_SGEMM=portable ntk 2 run three.yaml --out three-mixed-portable \
    --set kernel.precision=mixed --set kernel.chunk_mib=1 > portable.log 2>&1 \
    || fail "mixed on the portable kernel: $(cat portable.log)"
grep -q "warning: kernel.precision mixed: this CPU lacks AVX2 or FMA, so the float32 Grams run the portable fixed-order kernel" portable.log \
    || fail "no warning for the portable kernel: $(cat portable.log)"
py - <<'PY' || fail "mixed against float64"
import numpy as np, yaml
u = 2.0 ** -24
for net in ("three", "one"):
    # the error statement (docs/precision.md) and that it holds
    stated = yaml.safe_load(open(f"{net}-mixed-1/summary.yaml"))["precision"]
    assert stated["kernel"] == "mixed" and stated["unit_roundoff"] == u, stated
    assert stated["fixed_sgemm_kernel"] in ("avx2", "portable"), stated
    P = stated["accumulation_length"]
    # a layer's Gram term (k n_l + n_{l-1} + 4; rank-one n_{l-1} + 2, no biases) plus
    # twice the float32 passes that reach it: the forward GEMMs before it
    # (depth n_{j-1} + 2 each) and the backward GEMMs after it (n_j + 2).
    # three: layer 1's, 3 * 48 + 8 + 4 + 2 * ((40 + 2) + (3 + 2)) = 250;
    # one: layer 3's (rank-one), 40 + 2 + 2 * ((8 + 2) + (48 + 2)) = 162
    assert P == {"three": 250, "one": 162}[net], (net, P)
    assert stated["theta_relative_error_bound"] == P * u, stated
    t64 = np.load(f"{net}-float64/theta.npy")
    t = np.load(f"{net}-mixed-1/theta.npy")
    assert t.dtype == np.float64, t.dtype
    rel = np.linalg.norm(t - t64) / np.linalg.norm(t64)
    assert 0 < rel < 1e-6 and rel <= stated["theta_relative_error_bound"], (net, rel)
    assert abs(stated["theta_frobenius"] / np.linalg.norm(t) - 1) < 1e-12, stated
    e64 = np.load(f"{net}-float64/eigenvalues.npy")
    e = np.load(f"{net}-mixed-1/eigenvalues.npy")
    gap = np.abs(e - e64).max() / np.linalg.norm(t64)
    assert gap < 1e-6, (net, gap)
    bound = stated["eigenvalue_error_bound"]
    meaningful = e > bound
    assert stated["eigenvalues"] == len(e) and stated["eigenvalues_above_bound"] == meaningful.sum(), stated
    assert np.all(np.abs(e - e64)[meaningful] <= bound), (net, bound)
    assert abs(stated["eigenvalue_bound_factor"] - bound / (u * e[0])) < 1e-9 * stated["eigenvalue_bound_factor"]
    print(f"{net}: Theta relative error {rel:.3g}, eigenvalues within {gap:.3g} ||Theta||_F")
t1, e1 = np.load("three-mixed-1/theta.npy"), np.load("three-mixed-1/eigenvalues.npy")
assert np.array_equal(np.load("three-mixed-block/theta.npy"), t1), "grid.block 13"
assert np.array_equal(np.load("three-mixed-portable/theta.npy"), t1), "portable kernel"
assert yaml.safe_load(open("three-mixed-portable/summary.yaml"))["precision"]["fixed_sgemm_kernel"] == "portable"
for ranks in (2, 3):
    assert np.array_equal(np.load(f"three-mixed-{ranks}/theta.npy"), t1), ranks
    # the float64 solver's own rounding differs with the ranks (its threads)
    assert np.abs(np.load(f"three-mixed-{ranks}/eigenvalues.npy") - e1).max() < 1e-12 * e1.max(), ranks
PY
pass "mixed within 1e-6 of float64, identical on 1-3 ranks, another grid.block and the portable kernel"
