# Ranks that own no inputs (N below the number of ranks, issue 19 item 4):
# every phase runs on 1 to 3 ranks with N = 1 or 2, ends (no rank left
# waiting: each run is bounded by `timeout`) and gives the same numbers as
# one rank. matrix_free used to hang there: PARPACK refuses a local length
# of 0, so the empty rank left the reverse communication while the others
# waited in pdsaupd's MPI_Allreduce. Argument: 1 when built with ELPA.
. "$NTK_TESTS_DIR/lib.sh"
need_python
have_elpa=${1:-0}
dir=$(scratch empty_ranks)
cd "$dir"
py - <<'PY'
import numpy as np
r = np.random.default_rng(0)
for n in (1, 2):
    np.save(f"x{n}.npy", r.standard_normal((n, 3)))
    np.save(f"y{n}.npy", r.standard_normal((n, 2)))
np.save("x_test.npy", r.standard_normal((2, 3)))
np.save("y_test.npy", r.standard_normal((2, 2)))
PY
cat > job.yaml <<'YAML'
data: {inputs: x2.npy, targets: y2.npy}
model: {layers: [{dense: 8}, relu, {dense: 2}], seed: 9}
output: {plot: true}
YAML

# case NAME ARGS...: the run on 1, 2 and 3 ranks, each within 60 s; every
# .npy of the 2- and 3-rank runs equal to the 1-rank run's (eigenvectors up
# to sign) to 1e-12 of its largest entry.
case_runs() {
    local name=$1; shift
    for ranks in 1 2 3; do
        local out rc
        out=$(timeout 60 "$NTK_MPIEXEC" --oversubscribe -n $ranks "$NTKGRAM" run job.yaml --quiet \
              --out "$name-$ranks" "$@" 2>&1); rc=$?
        [ $rc -eq 124 ] && fail "$name on $ranks ranks: hang (timeout): $out"
        [ $rc -eq 0 ] || fail "$name on $ranks ranks: exit $rc: $out"
        [ -s "$name-$ranks/summary.yaml" ] || fail "$name on $ranks ranks: no summary.yaml"
    done
    py - "$name" <<'PY' || fail "$name: results depend on the number of ranks"
import os, sys, numpy as np
name = sys.argv[1]
files = sorted(f for f in os.listdir(f"{name}-1") if f.endswith(".npy"))
assert files, "no .npy written"
for f in files:
    a = np.load(f"{name}-1/{f}")
    for ranks in (2, 3):
        b = np.load(f"{name}-{ranks}/{f}")
        assert a.shape == b.shape, (f, ranks, a.shape, b.shape)
        if f == "eigenvectors.npy":
            a, b = abs(a), abs(b)
        scale = max(abs(a).max(), 1e-300)
        assert abs(a - b).max() <= 1e-12 * scale, (f, ranks, abs(a - b).max() / scale)
PY
    pass "$name: 1, 2 and 3 ranks agree ($*)"
}

two="--set data.inputs=x2.npy --set data.targets=y2.npy"
one="--set data.inputs=x1.npy --set data.targets=y1.npy"
# matrix_free: N = 2 trace (rank 2 empty on 3 ranks), N = 1 full (M = 2, one
# rank with rows), the eigenvector exchange and the held-out cross kernel.
case_runs mf_trace $two --set spectrum.solver=matrix_free --set spectrum.top=1
case_runs mf_full $one --set spectrum.solver=matrix_free --set spectrum.top=1 \
    --set kernel.outputs=full --set data.test_inputs=x_test.npy --set output.test_theta=true
case_runs mf_full_n2 $two --set spectrum.solver=matrix_free --set spectrum.top=3 \
    --set kernel.outputs=full --set spectrum.pair_check=probes --set spectrum.features=recompute
# The dense path: assembly, theta.npy, every eigensolver, the checkpoint
# written and removed, predictions, training and its kernel_after assembly.
solvers="auto pdsyevd pdsyevr lapack"
[ "$have_elpa" = 1 ] && solvers="$solvers elpa elpa1"
for solver in $solvers; do
    case_runs "dense_$solver" $one --set spectrum.solver=$solver --set output.theta=true
done
case_runs dense_full $two --set kernel.outputs=full --set output.theta=true \
    --set checkpoint.every=0.001 --set kernel.method=jacobian
case_runs predict $one --set data.test_inputs=x_test.npy --set data.test_targets=y_test.npy \
    --set 'predict={steps: [0, 10]}' --set output.test_theta=true
case_runs predict_full $two --set kernel.outputs=full --set data.test_inputs=x_test.npy \
    --set data.test_targets=y_test.npy --set 'predict={steps: [0, 10]}' --set output.test_theta=true
case_runs training $two --set 'training={steps: 20, kernel_after: true}' \
    --set data.test_inputs=x_test.npy --set data.test_targets=y_test.npy \
    --set 'predict={steps: [0, 10]}'
case_runs analytic $one --set kernel.kind=analytic --set kernel.nngp=true \
    --set data.test_inputs=x_test.npy --set 'predict={steps: [0, 10]}' --set output.test_theta=true

# A checkpoint written with an empty rank (stopped after step 1) resumes.
NTK_TEST_SIGNAL_AT_STEP=1 NTK_TEST_SIGNAL_RANK=2 timeout 60 "$NTK_MPIEXEC" --oversubscribe -n 3 \
    "$NTKGRAM" run job.yaml --quiet --out resumed --set grid.block=1 >stop.log 2>&1
rc=$?
[ $rc -eq 9 ] || fail "stop at step 1 with an empty rank: exit $rc: $(cat stop.log)"
[ -s resumed/checkpoint/theta.ckpt ] || fail "no checkpoint after the stop"
out=$(timeout 60 "$NTK_MPIEXEC" --oversubscribe -n 3 "$NTKGRAM" run job.yaml --out resumed \
      --set grid.block=1 2>&1) || fail "resume with an empty rank: $out"
echo "$out" | grep -q "resuming from checkpoint" || fail "the rerun did not resume: $out"
pass "a checkpoint written with an empty rank resumes"
