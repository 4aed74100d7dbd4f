# Interrupt the assembly early, midway and after its last step, on 2 and 3
# ranks (signal on rank 0 or on the last rank), resume, and compare Theta and
# the eigenvalues bit for bit with an uninterrupted run. Also the structured
# method (column-panel steps) and a checkpoint interrupted twice.
. "$NTK_TESTS_DIR/checkpoint/common.sh"
dir=$(scratch checkpoint_restart)

for setup in "2 [1,2]" "3 [3,1]"; do
    set -- $setup
    ranks=$1 shape=$2
    ref="$dir/ref-$ranks"
    ntk "$ranks" run "$job" --quiet --out "$ref" --set "grid.shape=$shape" || fail "reference run"
    total=$(interrupt "$ranks" 1 0 "$dir/probe-$ranks" --quiet --set "grid.shape=$shape")
    [ "$total" -ge 4 ] || fail "the job should take several steps, got $total"
    # The signal on rank 0, then on the last rank (the others learn of it at
    # the safe point), then on rank 0 again.
    for stop in "1 0" "$((total / 2)) $((ranks - 1))" "$total 0"; do
        set -- $stop
        step=$1 signal_rank=$2
        out="$dir/run-$ranks-$step"
        interrupt "$ranks" "$step" "$signal_rank" "$out" --set "grid.shape=$shape" >/dev/null
        resume "$ranks" "$step" "$total" "$out" --set "grid.shape=$shape"
        same_bits "$ref/theta.npy" "$out/theta.npy" "theta after a stop at step $step of $total on $ranks ranks"
        close_values "$ref/eigenvalues.npy" "$out/eigenvalues.npy" "eigenvalues after a stop at step $step"
    done
    pass "$ranks ranks ($shape): stops after steps 1, $((total / 2)), $total resume to the same Theta bit for bit"
done

# Interrupted twice: the second run resumes, is stopped again, the third finishes.
out="$dir/twice"
ref="$dir/ref-2"
interrupt 2 2 0 "$out" --set "grid.shape=[1,2]" >/dev/null
total=$(interrupt 2 7 1 "$out" --set "grid.shape=[1,2]")
resume 2 7 "$total" "$out" --set "grid.shape=[1,2]"
same_bits "$ref/theta.npy" "$out/theta.npy" "theta after two stops"
pass "stopped at steps 2 and 7, resumed twice: same Theta"

# The structured method: full outputs, 200 inputs -> M = 600, 2 panel steps on a 1x2 grid.
structured=(--set data.inputs.n=200 --set kernel.outputs=full --set kernel.method=structured
            --set grid.block=8 --set "grid.shape=[1,2]")
ntk 2 run "$job" --quiet --out "$dir/ref-structured" "${structured[@]}" || fail "structured reference"
total=$(interrupt 2 1 1 "$dir/structured" "${structured[@]}")
resume 2 1 "$total" "$dir/structured" "${structured[@]}"
same_bits "$dir/ref-structured/theta.npy" "$dir/structured/theta.npy" "structured theta"
pass "structured method: stop after step 1 of $total, resume, same Theta"
