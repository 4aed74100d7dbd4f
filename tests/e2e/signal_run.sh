# The signal_run helper of the signal tests (run_signals*.sh); sourced after
# tests/lib.sh, from the folder the runs write into.

# signal_run NAME SIGNAL WAIT_FOR_LOG DELAY BOUND_SECONDS MESSAGE_REGEX JOB [ARGS]:
# start the run, wait for WAIT_FOR_LOG in its log, DELAY more seconds, send
# SIGNAL, then require exit 9 within BOUND_SECONDS and the message. Ranks:
# SIGNAL_RANKS (default 2). USR1 goes to mpirun, which forwards it; TERM and
# INT go to the rank processes, as Slurm delivers them (README "Signals").
signal_run() {
    local name=$1 signal=$2 wait_for=$3 delay=$4 bound=$5 regex=$6 job=$7; shift 7
    local log="$name.log" out="$name"
    "$NTK_MPIEXEC" --oversubscribe -n "${SIGNAL_RANKS:-2}" "$NTKGRAM" run "$job" --out "$out" "$@" >"$log" 2>&1 &
    local pid=$!
    for _ in $(seq 1200); do
        grep -q -- "$wait_for" "$log" && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    grep -q -- "$wait_for" "$log" || { kill "$pid"; wait "$pid"; fail "$name: never saw '$wait_for': $(cat "$log")"; }
    sleep "$delay"
    local start rc end
    start=$(date +%s.%N)
    if [ "$signal" = USR1 ]; then
        kill -USR1 "$pid"
    else
        local ranks
        ranks=$(pgrep -P "$pid")
        [ -n "$ranks" ] || fail "$name: no rank processes under mpirun $pid"
        kill -"$signal" $ranks
    fi
    # A run that ignores the signal is stopped (and fails) at the bound
    # instead of running on.
    local waited=0
    while kill -0 "$pid" 2>/dev/null && [ "$(ps -o stat= -p "$pid" | cut -c 1)" != Z ]; do
        if [ "$waited" -ge $((bound * 10)) ]; then
            kill -KILL "$pid"
            wait "$pid"
            fail "$name: still running $bound s after SIG$signal: $(cat "$log")"
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    wait "$pid"; rc=$?
    end=$(date +%s.%N)
    local seconds
    seconds=$("$NTK_PYTHON" -c "print(round($end - $start, 2))")
    [ "$rc" -eq 9 ] || fail "$name: SIG$signal gave exit $rc after ${seconds} s, expected 9: $(cat "$log")"
    local lines
    lines=$(grep -c '^ntkgram: error:' "$log")
    [ "$lines" -eq 1 ] || fail "$name: expected one error line, got $lines: $(cat "$log")"
    grep '^ntkgram: error:' "$log" | grep -Eq -- "interrupted by signal SIG$signal $regex" \
        || fail "$name: message does not match /interrupted by signal SIG$signal $regex/: $(grep '^ntkgram: error:' "$log")"
    pass "$name: SIG$signal -> exit 9 in $seconds s: $(grep '^ntkgram: error:' "$log" | cut -c 17-)"
}
