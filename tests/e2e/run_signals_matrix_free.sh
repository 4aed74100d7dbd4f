# Stop signals during spectrum.solver matrix_free (issue 19 item 6): every
# product of PARPACK's reverse communication is a safe point, so the run
# ends with exit 9 and one line naming the signal and the products done,
# within seconds, instead of when PARPACK returns. No file of the spectrum is
# written; the rerun starts over (README "Signals" says why: PARPACK's
# iteration cannot be saved). NTK_TEST_PAUSE_AT holds the safe point after
# product 5 open so that the signal lands there; the last case sends a real
# signal into a solve that takes minutes (about 190 products of a width-256
# net, features recomputed per product).
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch run_signals_matrix_free)
cd "$dir"
. "$NTK_TESTS_DIR/e2e/signal_run.sh"
job="$NTK_TESTS_DIR/e2e/matrix_free.yaml"

no_spectrum() {
    local out=$1
    for file in eigenvalues.npy eigenvectors.npy modes.csv summary.yaml; do
        [ ! -e "$out/$file" ] || fail "$out: $file written after the signal"
    done
    [ -e "$out/.ntkgram-running" ] || fail "$out: the interrupted run removed its marker"
}

export NTK_TEST_PAUSE_SECONDS=30
export NTK_TEST_PAUSE_AT="matrix-free eigensolve (after 5 products)"
for setup in "USR1 2" "TERM 3" "INT 1"; do
    set -- $setup
    SIGNAL_RANKS=$2 signal_run "mf_$1_$2" "$1" \
        "test pause during the matrix-free eigensolve (after 5 products)" 0.2 10 \
        "during the matrix-free eigensolve \(after 5 products\); no checkpoint for this phase \(PARPACK's iteration cannot be saved\): rerun the same command to start over" \
        "$job"
    no_spectrum "mf_$1_$2"
done
# A rank without inputs (N = 2 on 3 ranks) stops with the others.
SIGNAL_RANKS=3 NTK_TEST_PAUSE_AT="matrix-free eigensolve (after 1 product)" signal_run \
    mf_empty_rank TERM "test pause during the matrix-free eigensolve (after 1 product)" 0.2 10 \
    "during the matrix-free eigensolve \(after 1 product\)" "$job" \
    --set data.inputs.n=2 --set spectrum.top=1
unset NTK_TEST_PAUSE_AT NTK_TEST_PAUSE_SECONDS

# The rerun of a stopped solve starts over and gives the uninterrupted
# eigenvalues (the iteration is deterministic).
ntk 2 run "$job" --quiet --out mf_USR1_2 || fail "rerun after the stop"
ntk 3 run "$job" --quiet --out reference || fail "reference run"
py - mf_USR1_2/eigenvalues.npy reference/eigenvalues.npy <<'PY' || fail "eigenvalues after the rerun differ"
import sys, numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
assert np.allclose(a, b, rtol=1e-10, atol=0), (a[:3], b[:3])
PY
pass "the rerun of a stopped matrix_free solve agrees with an uninterrupted one"

# A real signal 1 s into a solve of minutes: acted on at the next product.
cat > slow.yaml <<'YAML'
data:
  inputs: {synthetic: gaussian, n: 2000, dim: 8, seed: 5}
model:
  layers: [{dense: 256}, relu, {dense: 256}, relu, {dense: 4}]
  seed: 9
spectrum: {solver: matrix_free, top: 60, features: recompute, tolerance: 1e-12}
output: {plot: false}
YAML
signal_run mf_slow TERM "eigensolve (matrix-free) \.\.\." 1 20 \
    "during the matrix-free eigensolve \(after [0-9]+ products\)" slow.yaml
no_spectrum mf_slow
