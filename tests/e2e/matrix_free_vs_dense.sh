# spectrum.solver matrix_free against pdsyevd on the same job (N = 1000,
# trace M = 1000 and full M = 2000; top 1, 10, 50), and the same eigenvalues
# on 1-4 ranks to 1e-10 relative.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch matrix_free_vs_dense)
job="$NTK_TESTS_DIR/e2e/matrix_free.yaml"
for outputs in trace full; do
    ntk 2 run "$job" --quiet --out "$dir/dense-$outputs" --set kernel.outputs=$outputs \
        --set spectrum.solver=pdsyevd --set spectrum.top=0 --set output.theta=true \
        || fail "dense $outputs run"
done
for setup in "2 trace 1 stored" "2 trace 10 stored" "2 trace 50 recompute" "3 full 10 stored" \
             "1 full 50 auto"; do
    set -- $setup
    out="$dir/mf-$2-$3-$1"
    ntk "$1" run "$job" --quiet --out "$out" --set kernel.outputs=$2 --set spectrum.top=$3 \
        --set spectrum.features=$4 || fail "matrix_free run $setup"
    py "$NTK_TESTS_DIR/e2e/check_matrix_free.py" "$out" "$dir/dense-$2" "$3" \
        || fail "matrix_free check $setup"
done
# Ranks 1-4: the same eigenvalues to 1e-10 relative.
for ranks in 1 2 3 4; do
    ntk "$ranks" run "$job" --quiet --out "$dir/ranks-$ranks" --set spectrum.top=20 \
        || fail "matrix_free on $ranks ranks"
done
py - "$dir" <<'PY' || fail "eigenvalues differ between rank counts"
import sys, numpy as np
base = np.load(f"{sys.argv[1]}/ranks-1/eigenvalues.npy")
for ranks in (2, 3, 4):
    other = np.load(f"{sys.argv[1]}/ranks-{ranks}/eigenvalues.npy")
    error = np.max(np.abs(other - base) / np.abs(base))
    assert error <= 1e-10, f"{ranks} ranks: {error:.3e}"
    print(f"{ranks} ranks vs 1: {error:.2e}")
PY
pass "matrix_free agrees with pdsyevd and across rank counts"
