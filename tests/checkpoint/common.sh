# Shared pieces of the checkpoint tests: the job, a reference run, and an
# interrupted run at an exact step (NTK_TEST_SIGNAL_AT_STEP, a testing aid of
# src/core/signals.h: rank NTK_TEST_SIGNAL_RANK raises SIGUSR1 itself
# right after that step, so the stop point does not depend on timing).
. "$NTK_TESTS_DIR/lib.sh"
need_python
job="$NTK_TESTS_DIR/checkpoint/restart.yaml"

# interrupt RANKS STEP SIGNAL_RANK OUT ARGS...: run until the signal after
# STEP; it must exit 9 with the one-line message naming the step and the
# checkpoint, and leave the checkpoint file. Prints the total step count.
interrupt() {
    local ranks=$1 step=$2 signal_rank=$3 out=$4; shift 4
    local log="$out.interrupt.log" rc
    NTK_TEST_SIGNAL_AT_STEP=$step NTK_TEST_SIGNAL_RANK=$signal_rank \
        timeout 120 bash -c '"$@"' _ ntk_launch "$ranks" run "$job" --out "$out" "$@" >"$log" 2>&1
    rc=$?
    [ $rc -eq 9 ] || fail "interrupt after step $step on $ranks ranks: exit $rc, expected 9: $(cat "$log")"
    local line
    line=$(grep '^ntkgram: error:' "$log")
    [ "$(printf '%s\n' "$line" | wc -l)" -eq 1 ] || fail "expected one error line: $(cat "$log")"
    printf '%s\n' "$line" | grep -Eq "interrupted by signal SIGUSR1 after step $step of [0-9]+; checkpoint written to $out/checkpoint/theta.ckpt; run the same command again to resume" \
        || fail "unexpected message: $line"
    [ -s "$out/checkpoint/theta.ckpt" ] || fail "no checkpoint after the interrupt at step $step"
    [ ! -e "$out/theta.npy" ] || fail "theta.npy written by an interrupted run"
    printf '%s\n' "$line" | sed -E 's/.* of ([0-9]+);.*/\1/'
}

# resume RANKS STEP TOTAL OUT ARGS...: the rerun must say where it resumes,
# finish, and remove its checkpoint.
resume() {
    local ranks=$1 step=$2 total=$3 out=$4; shift 4
    local log="$out.resume.log"
    timeout 120 bash -c '"$@"' _ ntk_launch "$ranks" run "$job" --out "$out" "$@" >"$log" 2>&1 \
        || fail "resumed run on $ranks ranks failed: $(cat "$log")"
    grep -q "resuming from checkpoint: step $step of $total" "$log" \
        || fail "resumed run did not report 'resuming from checkpoint: step $step of $total': $(cat "$log")"
    [ ! -e "$out/checkpoint/theta.ckpt" ] || fail "checkpoint left behind after a finished run"
}

# same_bits A B WHAT: byte-for-byte equal files.
same_bits() { cmp -s "$1" "$2" || fail "$3: $1 and $2 differ"; }

# close_values A B WHAT: eigenvalues agree to 1e-12 relative. Bitwise equality
# is for Theta: pdsyevd itself differs in the last bits between two
# uninterrupted runs on 3 ranks.
close_values() {
    compare_npy "$1" "$2" 1e-12 >/dev/null || fail "$3"
}
