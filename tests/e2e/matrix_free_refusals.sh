# spectrum.solver matrix_free refuses bad input by name with the documented
# exit code, on 1 and 2 ranks, before computing anything: top missing or
# >= M, tolerance <= 0, a pair_check that is not auto/exact/probes (by line
# and column), its keys on another solver, jobs it cannot do, and a
# job that will not fit (stored features too large, and with features auto
# one where even recomputing them does not fit); pairs above the tolerance
# (exit 8 unless spectrum.allow_unconverged). The sanitizer lane runs the
# catalogue on 2 ranks only (catalogue_ranks, tests/lib.sh).
. "$NTK_TESTS_DIR/lib.sh"
job="$NTK_TESTS_DIR/e2e/matrix_free.yaml"
out=$(scratch matrix_free_refusals)
# The job file itself with a top of M: the refusal names its line.
{ grep -v '^spectrum:' "$job"; printf 'spectrum:\n  solver: matrix_free\n  top: 1000\n'; } \
    | grep -v '^#' > "$out/top_too_large.yaml"
# A spectrum.pair_check that is not a choice: the refusal names its line and column.
{ grep -v '^spectrum:' "$job"; printf 'spectrum:\n  solver: matrix_free\n  top: 10\n  pair_check: sometimes\n'; } \
    | grep -v '^#' > "$out/bad_pair_check.yaml"
# output.theta in the file: the refusal names its line and column (issue 19).
sed 's/^output: {dir: out}$/output: {dir: out, theta: true}/' "$job" | grep -v '^#' \
    > "$out/theta_in_file.yaml"
for ranks in $(catalogue_ranks serial 2); do
    expect_error 3 "spectrum.solver: matrix_free computes the top eigenpairs: set spectrum.top" \
        "$ranks" validate "$job" --set spectrum.top=0
    expect_error 3 "spectrum.top: matrix_free needs top < M = 1000" \
        "$ranks" run "$job" --out "$out" --set spectrum.top=1000
    expect_error 3 "top_too_large.yaml:14:8: spectrum.top: matrix_free needs top < M = 1000" \
        "$ranks" run "$out/top_too_large.yaml" --out "$out"
    expect_error 3 "spectrum.top: 2500 is more than the matrix size M = 2000" \
        "$ranks" run "$job" --out "$out" --set spectrum.top=2500 --set kernel.outputs=full
    expect_error 3 "spectrum.tolerance: must be a number > 0, got 0" \
        "$ranks" run "$job" --out "$out" --set spectrum.tolerance=0
    expect_error 3 "spectrum.tolerance: must be a number > 0" \
        "$ranks" run "$job" --out "$out" --set spectrum.tolerance=-1e-3
    expect_error 3 "spectrum.features: applies only to spectrum.solver: matrix_free" \
        "$ranks" validate "$job" --set spectrum.solver=auto --set spectrum.features=stored
    expect_error 3 "spectrum.features: unknown value .sometimes. \(expected auto, stored, recompute\)" \
        "$ranks" validate "$job" --set spectrum.features=sometimes
    expect_error 3 "bad_pair_check.yaml:15:15: spectrum.pair_check: unknown value .sometimes. \(expected auto, exact, probes\)" \
        "$ranks" validate "$out/bad_pair_check.yaml"
    expect_error 3 "spectrum.pair_check: applies only to spectrum.solver: matrix_free" \
        "$ranks" validate "$job" --set spectrum.solver=auto --set spectrum.pair_check=exact
    expect_error 3 "^ntkgram: error: --set output.theta: needs the assembled Theta" \
        "$ranks" run "$job" --out "$out" --set output.theta=true
    expect_error 3 "^ntkgram: error: .*theta_in_file.yaml:12:27: output.theta: needs the assembled Theta, which spectrum.solver matrix_free never forms$" \
        "$ranks" validate "$out/theta_in_file.yaml"
    expect_error 3 "^ntkgram: error: .*theta_in_file.yaml:12:27: output.theta: needs the assembled Theta" \
        "$ranks" run "$out/theta_in_file.yaml" --out "$out"
    expect_error 3 "^ntkgram: error: --set kernel.compare_analytic: needs the assembled Theta" \
        "$ranks" validate "$job" --set kernel.compare_analytic=true
    expect_error 3 "^ntkgram: error: --set kernel.kind: spectrum.solver matrix_free needs kernel.kind empirical" \
        "$ranks" run "$job" --out "$out" --set kernel.kind=analytic
    expect_error 3 "^ntkgram: error: --set training: needs all eigenpairs; spectrum.solver matrix_free computes" \
        "$ranks" validate "$job" --set 'training={steps: 3}'
done
# Will not fit: 2,000,000 inputs with stored features in 64 MB per rank;
# and with features auto even one batch and the Lanczos basis do not.
for features in stored auto; do
    SLURM_MEM_PER_CPU=64 expect_error 6 "job needs .* GiB per rank .* only 0.06 GiB are available" \
        2 run "$job" --out "$out/big" --set data.inputs.n=2000000 --set spectrum.features=$features
done
# A tolerance below rounding (1e-17; residuals are about 5e-16): PARPACK's own
# estimate passes, the explicit check of each pair does not: exit 8, or with
# allow_unconverged the pairs and their residuals, converged: 0.
small="$NTK_TESTS_DIR/e2e/small.yaml"
for ranks in $(catalogue_ranks serial 2); do
    expect_error 8 "matrix_free: 0 of 5 eigenpairs converged to spectrum.tolerance 1e-17 .*allow_unconverged" \
        "$ranks" run "$small" --out "$out/strict" --set output.theta=false \
        --set spectrum.solver=matrix_free --set spectrum.top=5 --set spectrum.tolerance=1e-17
done
ntk 2 run "$small" --quiet --out "$out/kept" --set output.theta=false --set spectrum.solver=matrix_free \
    --set spectrum.top=5 --set spectrum.tolerance=1e-17 --set spectrum.allow_unconverged=true \
    || fail "allow_unconverged run"
grep -q '^    converged: 0$' "$out/kept/summary.yaml" || fail "allow_unconverged: converged is not 0"
[ -e "$out/kept/eigenvectors.npy" ] || fail "allow_unconverged: no eigenvectors.npy"
[ ! -e "$out/big/summary.yaml" ] || fail "a refused run wrote summary.yaml"
pass "matrix_free refuses bad input by name"
