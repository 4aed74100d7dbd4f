# A rank that dies (kill -9 mid-assembly) ends the whole job: mpirun exits
# non-zero within 30 s and no rank is left waiting in a collective. Open
# MPI's mpirun notices a process that exits abnormally and kills the others
# ("mpirun noticed that process rank 1 ... exited on signal 9").
. "$NTK_TESTS_DIR/lib.sh"
dir=$(scratch run_rank_dies)
cd "$dir"
printf '%s\n' 'data: {inputs: {synthetic: sphere, n: 96, dim: 4, seed: 1}}' \
    'model: {layers: [{dense: 8}, relu, {dense: 1}]}' 'grid: {block: 8}' \
    'kernel: {method: jacobian, jacobian_chunk: 4}' \
    'output: {dir: out, plot: false}' > job.yaml

# running PID: the process exists and is not a zombie (a container's init
# may never reap the ranks mpirun leaves behind).
running() {
    local state
    state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    [ -n "$state" ] && [ "${state:0:1}" != Z ]
}
# wait_or_kill PID SECONDS: poll until PID ends; after SECONDS kill it and
# fail (status 1). No background watchdog, so nothing outlives the test.
wait_or_kill() {
    local pid=$1 limit=$2 waited=0
    while running "$pid"; do
        if [ "$waited" -ge $((limit * 10)) ]; then
            kill -KILL "$pid"
            return 1
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
}

for victim in 0 1; do
    log="kill$victim.log"
    NTK_TEST_STEP_SECONDS=1 "$NTK_MPIEXEC" --oversubscribe -n 2 "$NTKGRAM" run job.yaml \
        >"$log" 2>&1 &
    pid=$!
    for _ in $(seq 600); do
        grep -q "assemble theta \.\.\." "$log" && break
        sleep 0.05
    done
    grep -q "assemble theta \.\.\." "$log" || { kill "$pid"; fail "never reached the assembly: $(cat "$log")"; }
    sleep 1.5
    ranks=($(pgrep -P "$pid" | sort -n))
    [ "${#ranks[@]}" -eq 2 ] || { kill "$pid"; fail "expected 2 rank processes, found ${ranks[*]}"; }
    start=$(date +%s)
    kill -KILL "${ranks[$victim]}"
    wait_or_kill "$pid" 30 || fail "the job still ran 30 s after a rank died: $(cat "$log")"
    wait "$pid"; rc=$?
    seconds=$(( $(date +%s) - start ))
    [ "$rc" -ne 0 ] || fail "mpirun exited 0 after a rank was killed: $(cat "$log")"
    for rank in "${ranks[@]}"; do
        running "$rank" && fail "rank process $rank is still running after mpirun ended"
    done
    pass "rank $victim killed mid-assembly: mpirun exit $rc after $seconds s, no rank left"
done
