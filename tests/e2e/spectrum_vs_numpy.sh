# Eigenvalues and eigenvectors against numpy.linalg.eigh of the written theta.npy.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch spectrum_vs_numpy)
job="$NTK_TESTS_DIR/e2e/small.yaml"
for setup in "1 pdsyevd trace" "2 pdsyevd trace" "3 pdsyevd full" "4 pdsyevr trace" "2 pdsyevr full"; do
    set -- $setup
    out="$dir/$1-$2-$3"
    ntk "$1" run "$job" --quiet --out "$out" --set spectrum.solver=$2 --set kernel.outputs=$3 \
        || fail "run $setup"
    py "$NTK_TESTS_DIR/e2e/check_spectrum.py" "$out" 45 3 || fail "spectrum check $setup"
done
# Top-k pairs and eigenvalues only.
out="$dir/top"
ntk 2 run "$job" --quiet --out "$out" --set spectrum.top=7 || fail "top-7 run"
py "$NTK_TESTS_DIR/e2e/check_spectrum.py" "$out" 45 3 || fail "top-7 check"
out="$dir/values"
ntk 2 run "$job" --quiet --out "$out" --set spectrum.vectors=false || fail "values-only run"
[ ! -e "$out/eigenvectors.npy" ] || fail "values-only run wrote eigenvectors"
py "$NTK_TESTS_DIR/e2e/check_spectrum.py" "$out" 45 3 || fail "values-only check"
pass "spectra match numpy"
