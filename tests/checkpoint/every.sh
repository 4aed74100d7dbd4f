# checkpoint.every: an interval of 1 microsecond writes a checkpoint after
# every step (to a custom checkpoint.dir); the run still gives the same Theta
# bit for bit and removes its checkpoint and folder at the end. A stop after
# periodic checkpoints resumes from the newest one.
. "$NTK_TESTS_DIR/checkpoint/common.sh"
dir=$(scratch checkpoint_every)
grid=(--set "grid.shape=[1,2]")
ntk 2 run "$job" --quiet --out "$dir/ref" "${grid[@]}" || fail "reference run"

out="$dir/periodic"
ntk 2 run "$job" --out "$out" "${grid[@]}" --set checkpoint.every=0.000001s \
    --set "checkpoint.dir=$dir/ck" >"$dir/periodic.log" 2>&1 || fail "periodic run: $(cat "$dir/periodic.log")"
written=$(grep -c "checkpoint written: step [0-9]* of 10" "$dir/periodic.log")
[ "$written" -eq 10 ] || fail "expected a checkpoint after every one of 10 steps, got $written"
same_bits "$dir/ref/theta.npy" "$out/theta.npy" "theta with periodic checkpoints"
[ ! -e "$dir/ck" ] || fail "checkpoint.dir left behind after a finished run"
pass "checkpoint.every=0.000001s: $written checkpoints, same Theta, cleaned up"

out="$dir/stopped"
total=$(interrupt 2 6 1 "$out" "${grid[@]}" --set checkpoint.every=0.000001s --quiet)
resume 2 6 "$total" "$out" "${grid[@]}" --set checkpoint.every=0.000001s
same_bits "$dir/ref/theta.npy" "$out/theta.npy" "theta after periodic checkpoints and a stop"
pass "stop after periodic checkpoints resumes from step 6"
