# kernel.precision mixed (docs/precision.md) against float64 on the same
# job: Theta within 1e-6 relative (Frobenius), the eigenvalues within 1e-6
# ||Theta||_F, and Theta bit-identical on 1, 2 (1 x 2) and 3 (3 x 1) ranks
# for the same grid.block (the eigenvalues as float64's: to its solver's
# rounding). A net with 3 outputs (the
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
    ntk serial run $net.yaml --out $net-mixed-1 --set kernel.precision=mixed > /dev/null || fail "$net mixed run"
done
ntk 2 run three.yaml --out three-mixed-2 --set kernel.precision=mixed > /dev/null || fail "mixed on 2 ranks"
ntk 3 run three.yaml --out three-mixed-3 --set kernel.precision=mixed --set 'grid.shape=[3, 1]' > /dev/null \
    || fail "mixed on 3 ranks"
py - <<'PY' || fail "mixed against float64"
import numpy as np
for net in ("three", "one"):
    t64 = np.load(f"{net}-float64/theta.npy")
    t = np.load(f"{net}-mixed-1/theta.npy")
    assert t.dtype == np.float64, t.dtype
    rel = np.linalg.norm(t - t64) / np.linalg.norm(t64)
    assert 0 < rel < 1e-6, (net, rel)
    e64 = np.load(f"{net}-float64/eigenvalues.npy")
    e = np.load(f"{net}-mixed-1/eigenvalues.npy")
    gap = np.abs(e - e64).max() / np.linalg.norm(t64)
    assert gap < 1e-6, (net, gap)
    print(f"{net}: Theta relative error {rel:.3g}, eigenvalues within {gap:.3g} ||Theta||_F")
t1, e1 = np.load("three-mixed-1/theta.npy"), np.load("three-mixed-1/eigenvalues.npy")
for ranks in (2, 3):
    assert np.array_equal(np.load(f"three-mixed-{ranks}/theta.npy"), t1), ranks
    # the float64 solver's own rounding differs with the ranks (its threads)
    assert np.abs(np.load(f"three-mixed-{ranks}/eigenvalues.npy") - e1).max() < 1e-12 * e1.max(), ranks
PY
pass "mixed within 1e-6 of float64, identical on 1-3 ranks"
