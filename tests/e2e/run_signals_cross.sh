# Stop signals in the held-out stage (issue 19 item 7): the cross kernel
# Theta(test, train) has a safe point after every step and writes
# checkpoint/test_theta.ckpt there; while it is whole, the safe points before
# test_theta.npy, the NNGP cross kernel, the predictions and their files save
# it whole. Each stop ends with exit 9 and one line, and leaves none of the
# stage's files; the rerun resumes and writes test_theta.npy and the
# predictions bit for bit as an uninterrupted run. NTK_TEST_PAUSE_AT holds a
# safe point open so that the signal lands there; one case sends a real
# signal into a slowed cross kernel (NTK_TEST_STEP_SECONDS).
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch run_signals_cross)
cd "$dir"
. "$NTK_TESTS_DIR/e2e/signal_run.sh"
py - <<'PY'
import numpy as np
r = np.random.default_rng(1)
np.save("x.npy", r.standard_normal((1200, 6)))
np.save("y.npy", r.standard_normal((1200, 2)))
np.save("x_test.npy", r.standard_normal((300, 6)))
np.save("y_test.npy", r.standard_normal((300, 2)))
np.save("x_small.npy", r.standard_normal((300, 6)))
np.save("y_small.npy", r.standard_normal((300, 2)))
PY
# 1200 training inputs in blocks of 64 on a 1 x 2 grid: 3 steps of 256
# local columns, for Theta and for the 300 x 1200 cross kernel.
cat > job.yaml <<'YAML'
data: {inputs: x.npy, targets: y.npy, test_inputs: x_test.npy, test_targets: y_test.npy}
model: {layers: [{dense: 32}, relu, {dense: 2}], seed: 3}
grid: {block: 64}
predict: {steps: [0, 10]}
output: {plot: true, test_theta: true}
YAML
# no_stage_files OUT [FILES]: none of the held-out stage's files (or FILES)
# in OUT; a file finished before the stop may stay (the run's marker says the
# run did not finish), none written after it.
no_stage_files() {
    local files=${2:-test_theta.npy test_nngp.npy test_predictions.npy predict.csv predict.svg}
    for file in $files summary.yaml; do
        [ ! -e "$1/$file" ] || fail "$1: $file written after the signal"
    done
}
# resume_same OUT REFERENCE STEP: the rerun resumes the cross kernel from
# step STEP, its files equal the reference's, and the checkpoint is gone.
resume_same() {
    local out=$1 reference=$2 step=$3; shift 3
    local log
    log=$(ntk 2 run job.yaml --out "$out" "$@" 2>&1) || fail "rerun of $out: $log"
    echo "$log" | grep -Eq "resuming from checkpoint: step $step of [0-9]+ \($out/checkpoint/test_theta.ckpt\)" \
        || fail "$out: the rerun did not resume the cross kernel at step $step: $log"
    [ ! -e "$out/checkpoint/test_theta.ckpt" ] || fail "$out: the cross checkpoint outlived the run"
    py - "$out" "$reference" <<'PY' || fail "$out: the resumed run's files differ from $reference's"
import os, sys, numpy as np
out, ref = sys.argv[1:]
for f in ("test_theta.npy", "test_predictions.npy", "test_nngp.npy"):
    if os.path.exists(f"{ref}/{f}"):
        a, b = np.load(f"{out}/{f}"), np.load(f"{ref}/{f}")
        assert a.shape == b.shape and np.array_equal(a, b), f
assert open(f"{out}/predict.csv").read() == open(f"{ref}/predict.csv").read()
PY
    pass "$out: the rerun resumed the cross kernel at step $step and agrees bit for bit"
}

ntk 2 run job.yaml --quiet --out reference || fail "reference run"

export NTK_TEST_PAUSE_SECONDS=30
# In the cross kernel's assembly: a checkpoint at the step.
for signal in TERM USR1; do
    NTK_TEST_PAUSE_AT="cross kernel assembly (after step 1 of" signal_run "cross_$signal" $signal \
        "test pause during the cross kernel assembly (after step 1 of 3)" 0.2 10 \
        "during the cross kernel assembly \(after step 1 of 3\); checkpoint written to cross_$signal/checkpoint/test_theta.ckpt; run the same command again to resume" \
        job.yaml
    no_stage_files "cross_$signal"
    [ -s "cross_$signal/eigenvalues.npy" ] || fail "the spectrum before the stage is missing"
done
resume_same cross_TERM reference 1

# While the cross kernel is whole: saved whole, the rerun skips its assembly.
for setup in "INT before writing test_theta.npy" "TERM before the predictions" \
             "USR1 before writing the predictions"; do
    signal=${setup%% *}; where=${setup#* }
    name="whole_$signal"
    NTK_TEST_PAUSE_AT="$where" signal_run "$name" "$signal" "test pause $where" 0.2 10 \
        "$where; checkpoint of the assembled cross kernel written to $name/checkpoint/test_theta.ckpt; run the same command again to resume" \
        job.yaml
    case $where in
    *test_theta*) no_stage_files "$name" ;;
    *) no_stage_files "$name" "test_predictions.npy predict.csv predict.svg" ;;
    esac
done
resume_same whole_TERM reference 3

# A real SIGTERM into a slowed cross kernel (every assembly step 2 s longer,
# so the signal lands in one of its 3 steps even on a loaded machine).
unset NTK_TEST_PAUSE_AT
NTK_TEST_STEP_SECONDS=2 signal_run cross_slow TERM "assemble cross kernel \.\.\." 0.3 10 \
    "during the cross kernel assembly \(after step [0-9] of 3\); checkpoint written" job.yaml
no_stage_files cross_slow

# The jacobian method on 3 ranks (its steps are parameter chunks).
ntk 3 run job.yaml --quiet --out jacobian_reference --set kernel.method=jacobian \
    --set kernel.jacobian_chunk=50 || fail "jacobian reference run"
SIGNAL_RANKS=3 NTK_TEST_PAUSE_AT="cross kernel assembly (after step 2 of" signal_run \
    cross_jacobian TERM "test pause during the cross kernel assembly (after step 2 of" 0.2 10 \
    "during the cross kernel assembly \(after step 2 of [0-9]+\); checkpoint written" job.yaml \
    --set kernel.method=jacobian --set kernel.jacobian_chunk=50
no_stage_files cross_jacobian
log=$(ntk 3 run job.yaml --out cross_jacobian --set kernel.method=jacobian \
      --set kernel.jacobian_chunk=50 2>&1) || fail "jacobian rerun: $log"
echo "$log" | grep -q "resuming from checkpoint: step 2 of" || fail "jacobian rerun did not resume: $log"
py - <<'PY' || fail "the resumed jacobian cross kernel differs"
import numpy as np
assert np.array_equal(np.load("cross_jacobian/test_theta.npy"), np.load("jacobian_reference/test_theta.npy"))
PY
pass "the jacobian cross kernel resumes on 3 ranks and agrees bit for bit"

# The analytic kernel and its NNGP cross kernel (no checkpoint of its own: a
# stop in it saves the whole NTK cross kernel), on 300 training inputs: 3
# steps of column blocks on the 1 x 2 grid.
analytic="--set kernel.kind=analytic --set kernel.nngp=true --set data.inputs=x_small.npy
          --set data.targets=y_small.npy"
NTK_TEST_PAUSE_AT="cross kernel assembly (after step 1 of" signal_run cross_analytic INT \
    "test pause during the cross kernel assembly (after step 1 of" 0.2 10 \
    "during the cross kernel assembly \(after step 1 of [0-9]+\); checkpoint written" job.yaml \
    $analytic
NTK_TEST_PAUSE_AT="NNGP cross kernel assembly (after step 1 of" signal_run nngp_cross TERM \
    "test pause during the NNGP cross kernel assembly (after step 1 of" 0.2 10 \
    "during the NNGP cross kernel assembly \(after step 1 of [0-9]+\); checkpoint of the assembled cross kernel written to nngp_cross/checkpoint/test_theta.ckpt" \
    job.yaml $analytic
no_stage_files nngp_cross "test_nngp.npy test_predictions.npy predict.csv predict.svg"
unset NTK_TEST_PAUSE_SECONDS
ntk 2 run job.yaml --quiet --out analytic_reference $analytic || fail "analytic reference run"
resume_same cross_analytic analytic_reference 1 $analytic
resume_same nngp_cross analytic_reference 3 $analytic
