# spectrum.vectors: false with spectrum.solver: matrix_free (issue 20: a key
# that asks for less than a solver computes is honoured, not refused).
# Lanczos computes the Ritz vectors anyway and the pair check uses them; the
# run keeps the eigenvalues only: the same eigenvalues bit for bit as with
# vectors, no eigenvectors.npy, summary.yaml says vectors: false. 2 ranks.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch matrix_free_values_only)
job="$NTK_TESTS_DIR/e2e/matrix_free.yaml"
for vectors in true false; do
    log=$(ntk 2 run "$job" --out "$dir/$vectors" --set spectrum.vectors="$vectors" \
        --set output.eigenvectors="$vectors" 2>&1) || fail "run vectors $vectors: $log"
done
# the log and summary.yaml say what was computed and what was kept
top=$(awk '$1 == "eigenpairs:" {print $2; exit}' "$dir/false/summary.yaml")
printf '%s\n' "$log" | grep -Fq "matrix_free computes $top eigenvalues and $top eigenvectors; keeping the top $top eigenvalues only" \
    || fail "the log does not say what was computed and kept: $log"
grep -q "^  computed_eigenvectors: $top\$" "$dir/false/summary.yaml" \
    || fail "summary.yaml does not say the $top eigenvectors were computed"
cmp "$dir/true/eigenvalues.npy" "$dir/false/eigenvalues.npy" \
    || fail "values-only eigenvalues differ from the run with vectors"
[ -e "$dir/true/eigenvectors.npy" ] || fail "the run with vectors wrote no eigenvectors"
[ ! -e "$dir/false/eigenvectors.npy" ] || fail "the values-only run wrote eigenvectors"
grep -q '^  vectors: false$' "$dir/false/summary.yaml" || fail "summary does not say vectors: false"
grep -Eq '^  eigenpair_check: (exact|probes)$' "$dir/false/summary.yaml" \
    || fail "the values-only run skipped the pair check"
pass "matrix_free with vectors: false keeps the eigenvalues only"
