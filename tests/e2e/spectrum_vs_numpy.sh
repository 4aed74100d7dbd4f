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
    # all 45 pairs: the eigenpair check by random probes, and summary.yaml says so
    grep -q '^  eigenpair_check: probes$' "$out/summary.yaml" &&
        grep -q '^  eigenpair_check_probes: 4$' "$out/summary.yaml" || fail "check method $setup"
done
# Top-k pairs and eigenvalues only.
out="$dir/top"
ntk 2 run "$job" --quiet --out "$out" --set spectrum.top=7 || fail "top-7 run"
py "$NTK_TESTS_DIR/e2e/check_spectrum.py" "$out" 45 3 || fail "top-7 check"
grep -q '^  eigenpair_check: exact$' "$out/summary.yaml" || fail "top-7: not the exact check"
out="$dir/values"
ntk 2 run "$job" --quiet --out "$out" --set spectrum.vectors=false || fail "values-only run"
[ ! -e "$out/eigenvectors.npy" ] || fail "values-only run wrote eigenvectors"
grep -q '^  eigenpair_check: none$' "$out/summary.yaml" || fail "values only: a check without vectors"
py "$NTK_TESTS_DIR/e2e/check_spectrum.py" "$out" 45 3 || fail "values-only check"
pass "spectra match numpy"
