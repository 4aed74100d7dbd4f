# Checkpoint and requeue on a real single-node Slurm (tests/slurm/cluster.sh):
# the restart job goes in through slurm/submit on 2 ranks, is sent USR1
# mid-assembly (scancel --signal=USR1 --batch: the batch shell forwards it to
# the job step), writes a checkpoint, exits 9 and is requeued by the batch
# script; the requeued run resumes and finishes with the same Theta (bit for
# bit) and eigenvalues as a direct mpirun run. NTK_TEST_STEP_SECONDS (a
# testing aid) stretches each of the 10 assembly steps to 0.5 s so the signal
# lands mid-assembly. Every daemon started here is stopped on exit.
. "$NTK_TESTS_DIR/checkpoint/common.sh"
for tool in munged slurmctld slurmd sbatch scancel; do
    command -v "$tool" >/dev/null 2>&1 ||
        fail "$tool not found: install the Debian packages slurm-wlm and munge (scripts/install-deps)"
done

work=$(scratch checkpoint-slurm-requeue)
cluster="$work/cluster"
cluster_script="$NTK_TESTS_DIR/slurm/cluster.sh"
trap 'bash "$cluster_script" stop "$cluster"' EXIT
bash "$cluster_script" start "$cluster" || fail "could not start the test cluster"
. "$cluster/env.sh"
export NTKGRAM
cd "$work" || fail "no scratch folder"

grid=(--set "grid.shape=[1,2]")
ntk 2 run "$job" --quiet --out "$work/direct" "${grid[@]}" || fail "direct mpirun run"

# NTK_LAUNCHER=mpirun: on this test node srun's pmix launch of 2 tasks fails
# (the cluster tests cover srun); mpirun forwards USR1 to the ranks as well.
id=$(NTK_TEST_STEP_SECONDS=0.5 NTK_LAUNCHER=${NTK_LAUNCHER:-mpirun} bash "$NTK_SOURCE_DIR/slurm/submit" "$job" "${grid[@]}" \
     --out "$work/slurm" --ntasks=2 2>"$work/submit.log") || { cat "$work/submit.log" >&2; fail "slurm/submit failed"; }
[[ $id =~ ^[0-9]+$ ]] || fail "slurm/submit printed '$id', not a job id"
log="$work/ntkgram-restart-$id.out"

# Wait for the assembly to start, then signal the batch shell.
deadline=$((SECONDS + 120))
until grep -q "assemble theta" "$log" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { scancel "$id"; fail "job $id never reached the assembly: $(cat "$log" 2>/dev/null)"; }
    sleep 0.5
done
sleep 1.5
scancel --signal=USR1 --batch "$id" || fail "scancel --signal=USR1 failed"

# The job is requeued and runs again; wait until it has finished for good
# (the test cluster's cred_expire keeps Slurm's requeue hold short).
deadline=$((SECONDS + 300))
while :; do
    state=$(scontrol show job "$id" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
    case $state in
    COMPLETED) break ;;
    FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY) fail "job $id ended $state: $(cat "$log")" ;;
    esac
    [ $SECONDS -lt $deadline ] || fail "job $id not finished after 300 s (state $state): $(cat "$log")"
    sleep 0.5
done

grep -Eq "interrupted by signal SIGUSR1 after step [1-9] of 10" "$log" ||
    fail "the first run was not interrupted mid-assembly: $(cat "$log")"
grep -q "requeueing job $id" "$log" || fail "the batch script did not requeue: $(cat "$log")"
step=$(grep -Eo "interrupted by signal SIGUSR1 after step [0-9]+" "$log" | head -n1 | grep -Eo '[0-9]+$')
grep -q "resuming from checkpoint: step $step of 10" "$log" || fail "the requeued run did not resume: $(cat "$log")"
[ ! -e "$work/slurm/checkpoint/theta.ckpt" ] || fail "checkpoint left behind"
same_bits "$work/direct/theta.npy" "$work/slurm/theta.npy" "theta after the Slurm requeue"
close_values "$work/direct/eigenvalues.npy" "$work/slurm/eigenvalues.npy" "eigenvalues after the Slurm requeue"
pass "Slurm job $id: USR1 after step $step of 10, requeued, resumed; same Theta and eigenvalues"
