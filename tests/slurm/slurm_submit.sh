#!/bin/bash
# ntkgram on a real single-node Slurm (munged, slurmctld, slurmd started here
# by tests/slurm/cluster.sh, everything under this test's scratch folder):
#   1. the demo job (smaller N) through slurm/submit on 2 ranks: it must
#      finish, and its eigenvalues must match a direct mpirun run of the same
#      job to 1e-10;
#   2. a 3-point sweep over model.seed: submit must make it a job array of 3
#      tasks, each writing its point, with eigenvalues equal to direct runs
#      of each seed;
#   3. an analytic conv job whose assembly step outlasts its --time: the
#      batch script hands the limit to ntkgram, which refuses at the start;
#   4. an analytic conv job split by --pieces 2 into a job array of 2 pieces
#      and a combining job that waits for it (afterok): its Theta must equal
#      a direct run's bit for bit.
# Every daemon started here is stopped on exit, also on failure.
. "$NTK_TESTS_DIR/lib.sh"

for tool in munged slurmctld slurmd sbatch; do
    command -v "$tool" >/dev/null 2>&1 ||
        fail "$tool not found: install the Debian packages slurm-wlm and munge (scripts/install-deps)"
done

work=$(scratch slurm-submit)
cluster="$work/cluster"
cluster_script="$NTK_TESTS_DIR/slurm/cluster.sh"
trap 'bash "$cluster_script" stop "$cluster"' EXIT
bash "$cluster_script" start "$cluster" || fail "could not start the test cluster"
. "$cluster/env.sh"
export NTKGRAM

# wait_job ID SECONDS: until no task of the job is pending or running; then
# every task must have COMPLETED with exit code 0:0.
wait_job() {
    local id=$1 seconds=$2 deadline=$((SECONDS + $2))
    while squeue -h -j "$id" 2>/dev/null | grep -q .; do
        [ $SECONDS -lt $deadline ] || { squeue -j "$id" >&2; fail "job $id still queued or running after $seconds s"; }
        sleep 1
    done
    local states
    # One line per job (array task) with -o; keep "STATE EXIT:SIGNAL".
    states=$(scontrol -o show job "$id" 2>/dev/null |
        sed -n 's/.*JobState=\([A-Z_]*\) .*ExitCode=\([0-9:]*\).*/\1 \2/p')
    [ -n "$states" ] || fail "no record of job $id"
    echo "$states" | grep -qv '^COMPLETED 0:0$' && {
        cat "$work"/ntkgram-*.out >&2 2>/dev/null
        fail "job $id did not complete cleanly: $states"
    }
    return 0
}

compare_eigenvalues() {  # compare_eigenvalues A.npy B.npy
    compare_npy "$1" "$2" 1e-10 || fail "eigenvalues differ: $1 vs $2"
}

cd "$work" || fail "no scratch folder"

# ---- 1. the demo job on 2 ranks
demo="$NTK_SOURCE_DIR/jobs/demo.yaml"
[ -f "$demo" ] || fail "jobs/demo.yaml is missing"
small=(--set data.inputs.n=384)
started=$SECONDS
id=$(bash "$NTK_SOURCE_DIR/slurm/submit" "$demo" "${small[@]}" --out "$work/slurm-demo" --ntasks=2 \
     2>"$work/submit-demo.log") || { cat "$work/submit-demo.log" >&2; fail "slurm/submit failed"; }
cat "$work/submit-demo.log"
[[ $id =~ ^[0-9]+$ ]] || fail "slurm/submit printed '$id', not a job id"
grep -q -- '--mem-per-cpu=' "$work/ntkgram-demo.sbatch" || fail "no --mem-per-cpu in the batch script"
grep -q -- '--time=' "$work/ntkgram-demo.sbatch" || fail "no --time in the batch script"
wait_job "$id" 120
echo "demo job $id finished in $((SECONDS - started)) s"
grep -h 'launcher' "$work"/ntkgram-demo-"$id".out || true
[ -f "$work/slurm-demo/eigenvalues.npy" ] || fail "the Slurm run wrote no eigenvalues.npy"
[ -f "$work/slurm-demo/summary.yaml" ] || fail "the Slurm run wrote no summary.yaml"
grep -q 'ranks: 2' "$work/slurm-demo/summary.yaml" || fail "the Slurm run did not use 2 ranks: $(grep ranks "$work/slurm-demo/summary.yaml")"
ntk 2 run "$demo" "${small[@]}" --out "$work/direct-demo" --quiet || fail "direct mpirun run failed"
compare_eigenvalues "$work/slurm-demo/eigenvalues.npy" "$work/direct-demo/eigenvalues.npy"
pass "demo job through slurm/submit matches a direct mpirun run"

# ---- 2. a 3-point sweep as a job array
cat >"$work/seeds.yaml" <<'EOF'
name: seeds
data:
  inputs: {synthetic: gaussian, n: 96, dim: 4, seed: 3}
model:
  layers: [{dense: 24}, tanh, {dense: 1}]
spectrum:
  vectors: false
output:
  dir: seeds-out
  plot: false
sweep:
  model.seed: [0, 1, 2]
EOF
plan_points=$("$NTKGRAM" plan "$work/seeds.yaml" --format yaml | awk '$1 == "sweep_points:" {print $2}')
[ "$plan_points" = 3 ] || fail "plan counts $plan_points sweep points, expected 3"
bash "$NTK_SOURCE_DIR/slurm/submit" "$work/seeds.yaml" --dry-run >"$work/dry-run.txt" 2>&1 ||
    fail "submit --dry-run failed: $(cat "$work/dry-run.txt")"
grep -q '^#SBATCH --array=0-2$' "$work/dry-run.txt" || fail "no --array=0-2 in: $(cat "$work/dry-run.txt")"
started=$SECONDS
id=$(bash "$NTK_SOURCE_DIR/slurm/submit" "$work/seeds.yaml" 2>"$work/submit-seeds.log") ||
    { cat "$work/submit-seeds.log" >&2; fail "slurm/submit of the sweep failed"; }
cat "$work/submit-seeds.log"
wait_job "$id" 120
echo "array job $id finished in $((SECONDS - started)) s"
tasks=$(ls "$work"/ntkgram-seeds-"$id"_*.out 2>/dev/null | wc -l)
[ "$tasks" -eq 3 ] || fail "expected 3 array task logs, found $tasks"
for seed in 0 1 2; do
    point=$(ls -d "$work"/seeds-out/*model.seed="$seed"* 2>/dev/null | head -n1)
    [ -n "$point" ] && [ -f "$point/eigenvalues.npy" ] || fail "no outputs for point model.seed=$seed"
    ntk serial run "$work/seeds.yaml" --point "$seed" --out "$work/direct-seeds" --quiet ||
        fail "direct run of point $seed failed"
    compare_eigenvalues "$point/eigenvalues.npy" "$(ls -d "$work"/direct-seeds/*model.seed="$seed"*)/eigenvalues.npy"
done
pass "3-point sweep as a job array, every point equal to a direct run"

# ---- 3. a time limit shorter than an analytic conv kernel's assembly step
# The batch script passes the job's limit (--time=1: one minute) to ntkgram
# as NTK_TIME_LIMIT; Myrtle-5 on 24 images has a first step of 300 pairs,
# about 39 s by plan's count, more than the 30 s a one-minute limit leaves:
# refused at the start (exit 3) with plan's estimate, nothing written.
myrtle="$NTK_SOURCE_DIR/jobs/myrtle5-cifar-like.yaml"
id=$(bash "$NTK_SOURCE_DIR/slurm/submit" "$myrtle" --set data.inputs.n=24 --set spectrum.solver=none \
     --out "$work/slurm-myrtle" --ntasks=1 --time=1 2>"$work/submit-myrtle.log") ||
    { cat "$work/submit-myrtle.log" >&2; fail "slurm/submit of the Myrtle job failed"; }
deadline=$((SECONDS + 120))
while squeue -h -j "$id" 2>/dev/null | grep -q .; do
    [ $SECONDS -lt $deadline ] || fail "the Myrtle job $id still queued or running after 120 s"
    sleep 1
done
state=$(scontrol -o show job "$id" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\) .*ExitCode=\([0-9:]*\).*/\1 \2/p')
[ "$state" = "FAILED 3:0" ] || fail "the Myrtle job ended '$state', expected FAILED 3:0: $(cat "$work"/ntkgram-myrtle5-cifar-like-"$id".out)"
grep -q -- '--signal=B:USR1@30$' "$work/ntkgram-myrtle5-cifar-like.sbatch" ||
    fail "a one-minute limit should move the checkpoint warning to 30 s before the end"
grep -q "would take about .* s by plan's estimate .*NTK_TIME_LIMIT 60 s" "$work"/ntkgram-myrtle5-cifar-like-"$id".out ||
    fail "no refusal quoting plan's estimate and the job's limit: $(cat "$work"/ntkgram-myrtle5-cifar-like-"$id".out)"
[ ! -e "$work/slurm-myrtle/theta.npy" ] || fail "the refused job wrote theta.npy"
pass "a Slurm time limit shorter than an assembly step: refused at the start with plan's estimate"

# ---- 4. --pieces 2: a job array of 2 pieces, then the combining job
cat >"$work/pieces.yaml" <<'EOF'
name: pieces
data: {inputs: {synthetic: gaussian, n: 9, shape: [5, 4, 2], seed: 3}}
model:
  layers: [{conv: {channels: 3, kernel: 3, padding: circular}}, relu, flatten, {dense: 1}]
kernel: {kind: analytic}
grid: {block: 2}
spectrum: {solver: none}
output: {dir: pieces-out, theta: true, plot: false}
EOF
bash "$NTK_SOURCE_DIR/slurm/submit" "$work/pieces.yaml" --pieces 2 --ntasks=1 --dry-run \
    >"$work/dry-pieces.txt" 2>&1 || fail "submit --pieces --dry-run failed: $(cat "$work/dry-pieces.txt")"
grep -q '^# would run: sbatch --parsable --array=0-1 ' "$work/dry-pieces.txt" &&
    grep -q '^# then, to combine the 2 pieces: sbatch --parsable --dependency=afterok:<array job id> ' \
        "$work/dry-pieces.txt" || fail "no array and combining job in: $(cat "$work/dry-pieces.txt")"
ids=$(bash "$NTK_SOURCE_DIR/slurm/submit" "$work/pieces.yaml" --pieces 2 --ntasks=1 \
      2>"$work/submit-pieces.log") || { cat "$work/submit-pieces.log" >&2; fail "slurm/submit --pieces failed"; }
array=$(head -n 1 <<<"$ids") combine=$(tail -n 1 <<<"$ids")
[[ $array =~ ^[0-9]+$ && $combine =~ ^[0-9]+$ && $array != "$combine" ]] ||
    fail "slurm/submit --pieces printed '$ids', not an array id and a job id"
wait_job "$combine" 120
wait_job "$array" 10
for piece in 0 1; do
    grep -q "piece $piece of 2 done" "$work/ntkgram-pieces-${array}_$piece.out" ||
        fail "array task $piece did not compute piece $piece: $(cat "$work/ntkgram-pieces-${array}_$piece.out")"
done
grep -q "combining 2 piece checkpoints of Theta in .*: 5 of 5 steps restored from them, 0 to compute" \
    "$work/ntkgram-pieces-$combine.out" ||
    fail "the combining job did not use both pieces: $(cat "$work/ntkgram-pieces-$combine.out")"
ntk serial run "$work/pieces.yaml" --out "$work/direct-pieces" --quiet || fail "direct run of the pieces job failed"
cmp -s "$work/pieces-out/theta.npy" "$work/direct-pieces/theta.npy" ||
    fail "Theta combined from 2 Slurm array pieces differs from a direct run"
pass "--pieces 2: a job array and its combining job give a direct run's Theta bit for bit"
