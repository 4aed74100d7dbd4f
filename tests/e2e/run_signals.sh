# Stop signals in every phase of a real 2-rank mpirun run: the run ends on
# all ranks with exit 9, one error line naming the signal and the phase, and
# within seconds of the signal (the eigensolve, which ScaLAPACK cannot
# interrupt, ends at its return). SIGUSR1 goes to mpirun, which forwards it;
# SIGTERM and SIGINT go to the rank processes, as Slurm delivers them
# (mpirun cannot forward those two: it kills the job itself, see README).
# NTK_TEST_PAUSE_AT / NTK_TEST_PAUSE_SECONDS (src/core/signals.h) hold
# a stop point open so the signal lands in the phase under test.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch run_signals)
cd "$dir"

cat > small.yaml <<'YAML'
data:
  inputs: {synthetic: sphere, n: 96, dim: 6, seed: 1}
  targets: {synthetic: sine, seed: 2}
model: {layers: [{dense: 16}, relu, {dense: 1}], seed: 0}
grid: {block: 16}
output: {plot: false}
YAML
# An eigensolve that lasts seconds even on an idle machine: ScaLAPACK's
# pdsyevd (auto may pick the faster single-node LAPACK path) at N = 2000.
cat > slow_solve.yaml <<'YAML'
data:
  inputs: {synthetic: sphere, n: 2000, dim: 8, seed: 1}
model: {layers: [{dense: 16}, relu, {dense: 1}], seed: 0}
spectrum: {solver: pdsyevd}
output: {plot: false, eigenvectors: false}
YAML
{ cat small.yaml; echo 'training: {steps: 100000000, record_every: 1000}'; } > train.yaml
{ cat small.yaml; echo 'sweep: {model.seed: [0, 1, 2]}'; } > sweep.yaml

. "$NTK_TESTS_DIR/e2e/signal_run.sh"

# Before the assembly (this was rc 138, no message, for SIGUSR1).
export NTK_TEST_PAUSE_SECONDS=30
for signal in USR1 TERM INT; do
    NTK_TEST_PAUSE_AT="before the assembly" signal_run "before_$signal" $signal \
        "build model done" 0.2 5 "before the assembly; no checkpoint for this phase" small.yaml
    [ ! -e "before_$signal/checkpoint/theta.ckpt" ] || fail "a checkpoint was written before the assembly"
    [ -e "before_$signal/.ntkgram-running" ] || fail "the interrupted run removed its marker"
    [ ! -e "before_$signal/summary.yaml" ] || fail "summary.yaml after an interrupted run"
done

# During the assembly: a checkpoint at the next step boundary. The step is
# made 2 s longer so that the signal lands in it on a loaded machine too.
for signal in TERM INT; do
    NTK_TEST_STEP_SECONDS=2 signal_run "assembly_$signal" $signal "assemble theta \.\.\." 0.3 5 \
        "after step [0-9]+ of [0-9]+; checkpoint written" small.yaml
done

# After the assembly, while Theta is whole: it is saved, and the rerun skips
# the assembly and gives the same eigenvalues as an uninterrupted run.
NTK_TEST_PAUSE_AT="before the eigensolve" signal_run "before_solve" USR1 "assembly: " 0.2 5 \
    "before the eigensolve; checkpoint of the assembled Theta written to before_solve/checkpoint/theta.ckpt; run the same command again to resume" \
    small.yaml
log=$(ntk 2 run small.yaml --out before_solve 2>&1) || fail "rerun after the stop: $log"
echo "$log" | grep -Eq "resuming from checkpoint: step ([0-9]+) of \1 " || fail "the rerun did not resume from the whole Theta: $log"
ntk 2 run small.yaml --quiet --out reference || fail "reference run"
py - before_solve/eigenvalues.npy reference/eigenvalues.npy <<'PY' || fail "eigenvalues after the resumed run differ"
import sys, numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
assert np.allclose(a, b, rtol=1e-12, atol=1e-12 * abs(b).max()), (a[:3], b[:3])
PY
pass "a stop before the eigensolve saves Theta; the rerun resumes and agrees"

# Assemblies without a checkpoint stop at their next step too.
NTK_TEST_PAUSE_AT="analytic kernel comparison (after step 1 " signal_run "compare_INT" INT \
    "compare with analytic \.\.\." 0.2 5 \
    "during the analytic kernel comparison \(after step 1 of [0-9]+\); no checkpoint" small.yaml \
    --set kernel.compare_analytic=true
NTK_TEST_PAUSE_AT="kernel_after assembly (after step 1 " signal_run "kernel_after_USR1" USR1 \
    "training: final loss" 0.2 5 \
    "during the training.kernel_after assembly \(after step 1 of [0-9]+\); no checkpoint" small.yaml \
    --set "training={steps: 5, kernel_after: true}"

# During a slow eigensolve: acted on when ScaLAPACK returns.
for signal in USR1 TERM; do
    signal_run "eigensolve_$signal" $signal "eigensolve \.\.\." 0.5 120 \
        "during the eigensolve; no checkpoint for this phase" slow_solve.yaml
    [ ! -e "eigensolve_$signal/eigenvalues.npy" ] || fail "eigenvalues.npy written after the signal"
done

# A periodic assembly checkpoint outlives a stop in a later phase: the
# message says so and the rerun resumes from it.
signal_run "eigensolve_kept" TERM "eigensolve \.\.\." 0.5 120 \
    "during the eigensolve; the assembly checkpoint is kept: rerun the same command to resume from it" \
    slow_solve.yaml --set checkpoint.every=0.001
[ -s eigensolve_kept/checkpoint/theta.ckpt ] || fail "the assembly checkpoint was removed"
log=$(ntk 2 run slow_solve.yaml --out eigensolve_kept 2>&1) || fail "rerun after the stop: $log"
echo "$log" | grep -q "resuming from checkpoint" || fail "the rerun did not resume: $log"
pass "a stop after a checkpointed assembly resumes from the checkpoint"

# During training: at the next step.
for signal in USR1 INT TERM; do
    signal_run "training_$signal" $signal "training: 100000000 steps" 0.5 5 \
        "during training \(step [0-9]+ of 100000000\)" train.yaml
    [ ! -e "training_$signal/training.csv" ] || fail "training.csv left by a stopped training"
done

# What the README says about SIGTERM sent to mpirun itself (Open MPI 4.1
# does not forward it): mpirun ends the job on its own, with exit 1, within
# seconds; the ranks are gone.
"$NTK_MPIEXEC" --oversubscribe -n 2 "$NTKGRAM" run slow_solve.yaml --out mpirun_term \
    >mpirun_term.log 2>&1 &
pid=$!
for _ in $(seq 1200); do grep -q "eigensolve \.\.\." mpirun_term.log && break; sleep 0.05; done
ranks=$(pgrep -P "$pid")
start=$(date +%s)
kill -TERM "$pid"
waited=0
while [ "$(ps -o stat= -p "$pid" | cut -c 1)" = S ] || [ "$(ps -o stat= -p "$pid" | cut -c 1)" = R ]; do
    [ "$waited" -lt 300 ] || { kill -KILL "$pid"; fail "mpirun still running 30 s after SIGTERM"; }
    sleep 0.1; waited=$((waited + 1))
done
wait "$pid"; rc=$?
[ "$rc" -eq 1 ] || fail "SIGTERM to mpirun: exit $rc, the README says 1: $(cat mpirun_term.log)"
for rank in $ranks; do
    state=$(ps -o stat= -p "$rank" | cut -c 1)
    [ -z "$state" ] || [ "$state" = Z ] || fail "rank $rank still running after SIGTERM to mpirun"
done
pass "SIGTERM to mpirun: exit $rc after $(( $(date +%s) - start )) s (Open MPI ends the job itself)"

# Between sweep points: finished points stay, the rerun continues.
for signal in TERM USR1; do
    NTK_TEST_PAUSE_AT="before point 1 " signal_run "sweep_$signal" $signal \
        "test pause between sweep points (before point 1 of 3)" 0.2 5 \
        "between sweep points \(before point 1 of 3\); finished points are kept" sweep.yaml
done
unset NTK_TEST_PAUSE_AT NTK_TEST_PAUSE_SECONDS
[ -s "sweep_TERM/model.seed=0/summary.yaml" ] || fail "point 0 was not kept"
[ ! -e "sweep_TERM/model.seed=1" ] || fail "point 1 was started after the signal"
log=$(ntk 2 run sweep.yaml --out sweep_TERM 2>&1) || fail "sweep rerun: $log"
echo "$log" | grep -q "point 0 already complete, skipping" || fail "the rerun redid point 0: $log"
[ -s "sweep_TERM/model.seed=2/summary.yaml" ] || fail "the rerun did not finish the sweep"
pass "a sweep stopped between points continues on a rerun"

# A point rerun and stopped loses its old row: sweep.csv is rebuilt after a
# failed or stopped sweep too, and holds only the points that are complete.
rm sweep_TERM/model.seed=1/summary.yaml
NTK_TEST_PAUSE_AT="before the assembly" NTK_TEST_PAUSE_SECONDS=30 signal_run "sweep_TERM" TERM \
    "sweep: point 1 of 3" 0.2 5 "before the assembly" sweep.yaml
points=$(cut -d, -f1 sweep_TERM/sweep.csv | tail -n +2 | tr '\n' ' ')
[ "$points" = "0 2 " ] || fail "sweep.csv after point 1 was stopped lists points '$points', expected '0 2 '"
pass "sweep.csv drops the row of a point that was rerun and stopped"
