# A real SIGUSR1 sent with kill to mpirun mid-assembly (mpirun forwards it to
# the ranks): the run stops with exit 9 at a step boundary, and a rerun gives
# the same Theta bit for bit and the same eigenvalues. NTK_TEST_STEP_SECONDS
# (a testing aid) makes each of the 10 steps 0.4 s long so the kill lands
# during the assembly. A stop asked for in the environment (NTK_STOP_SIGNAL:
# slurm/ntkgram.sbatch's way to pass on a warning that came before the job
# step started) stops the run at its first safe point; a bad value is refused.
. "$NTK_TESTS_DIR/checkpoint/common.sh"
dir=$(scratch checkpoint_kill)
grid=(--set "grid.shape=[1,2]")
ntk 2 run "$job" --quiet --out "$dir/ref" "${grid[@]}" || fail "reference run"

out="$dir/run"
log="$dir/run.log"
NTK_TEST_STEP_SECONDS=0.4 "$NTK_MPIEXEC" --oversubscribe -n 2 "$NTKGRAM" run "$job" --out "$out" \
    "${grid[@]}" >"$log" 2>&1 &
pid=$!
for _ in $(seq 600); do
    grep -q "assemble theta" "$log" && break
    sleep 0.1
done
grep -q "assemble theta" "$log" || { kill "$pid"; fail "the run never reached the assembly: $(cat "$log")"; }
sleep 1.5
kill -USR1 "$pid"
wait "$pid"
rc=$?
[ $rc -eq 9 ] || fail "after kill -USR1: exit $rc, expected 9: $(cat "$log")"
line=$(grep '^ntkgram: error:' "$log")
printf '%s\n' "$line" | grep -Eq "interrupted by signal SIGUSR1 after step [1-9] of 10; checkpoint written to $out/checkpoint/theta.ckpt" \
    || fail "unexpected message: $line"
step=$(printf '%s\n' "$line" | sed -E 's/.*after step ([0-9]+) of.*/\1/')
resume 2 "$step" 10 "$out" "${grid[@]}"
same_bits "$dir/ref/theta.npy" "$out/theta.npy" "theta after kill -USR1"
close_values "$dir/ref/eigenvalues.npy" "$out/eigenvalues.npy" "eigenvalues after kill -USR1"
early="$dir/early"
NTK_STOP_SIGNAL=USR1 ntk 1 run "$job" --out "$early" >"$early.log" 2>&1
rc=$?
[ $rc -eq 9 ] || fail "NTK_STOP_SIGNAL=USR1: exit $rc, expected 9: $(cat "$early.log")"
grep -q "^ntkgram: error: interrupted by signal SIGUSR1 before reading the inputs" "$early.log" ||
    fail "NTK_STOP_SIGNAL=USR1: unexpected message: $(cat "$early.log")"
[ ! -e "$early/theta.npy" ] || fail "NTK_STOP_SIGNAL=USR1 wrote theta.npy"
NTK_STOP_SIGNAL=HUP ntk 1 run "$job" --out "$early" >"$early.log" 2>&1
rc=$?
[ $rc -eq 2 ] || fail "NTK_STOP_SIGNAL=HUP: exit $rc, expected 2: $(cat "$early.log")"
grep -q "environment variable NTK_STOP_SIGNAL: expected USR1 or TERM, got 'HUP'" "$early.log" ||
    fail "NTK_STOP_SIGNAL=HUP: unexpected message: $(cat "$early.log")"
pass "kill -USR1 stopped the run after step $step of 10; the rerun gives the same Theta and eigenvalues"
