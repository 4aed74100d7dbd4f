# The analytic conv kernel is restartable like every assembly: with a
# checkpoint after every step (checkpoint.every) it gives the same Theta bit
# for bit, and a run stopped by SIGUSR1 at a step boundary (the first and a
# late step, 2 ranks, 2 x 1 grid) resumes from its checkpoint to the same
# Theta and NNGP kernel, bit for bit. A run from the first step takes the
# NNGP kernel from Theta's pair evaluations (no second assembly); a resumed
# one assembles it separately: the same bits either way.
. "$NTK_TESTS_DIR/checkpoint/common.sh"
dir=$(scratch analytic-conv-checkpoint)
cd "$dir"
cat > job.yaml <<'YAML'
data: {inputs: {synthetic: gaussian, n: 13, shape: [6, 5, 2], seed: 3}}
model:
  layers: [{conv: {channels: 4, kernel: 3, padding: circular}}, relu, {avg_pool: {window: 2, stride: 1}},
           {conv: {channels: 3, kernel: 2, padding: valid}}, erf, flatten, {dense: 2}]
  w_std: 1.3
  b_std: 0.2
kernel: {kind: analytic, nngp: true}
grid: {block: 2, shape: [2, 1]}
spectrum: {solver: pdsyevd}
output: {dir: out, theta: true, plot: false}
YAML
job="$dir/job.yaml"
ntk 2 run "$job" --out "$dir/ref" >"$dir/ref.log" 2>&1 || fail "reference run: $(cat "$dir/ref.log")"
! grep -q "assemble nngp" "$dir/ref.log" || fail "a fresh run assembled the NNGP kernel in a second pass"

out="$dir/periodic"
ntk 2 run "$job" --out "$out" --set checkpoint.every=0.000001s --set "checkpoint.dir=$dir/ck" \
    >"$dir/periodic.log" 2>&1 || fail "periodic run: $(cat "$dir/periodic.log")"
written=$(grep -c "checkpoint written: step [0-9]* of 7" "$dir/periodic.log")
[ "$written" -eq 7 ] || fail "expected a checkpoint after each of 7 steps, got $written: $(cat "$dir/periodic.log")"
same_bits "$dir/ref/theta.npy" "$out/theta.npy" "theta with periodic checkpoints"

for step in 1 5; do
    out="$dir/stopped-$step"
    total=$(interrupt 2 "$step" 1 "$out")
    [ "$total" -eq 7 ] || fail "expected 7 steps, got $total"
    resume 2 "$step" "$total" "$out"
    same_bits "$dir/ref/theta.npy" "$out/theta.npy" "theta after a stop at step $step"
    same_bits "$dir/ref/nngp.npy" "$out/nngp.npy" "nngp after a stop at step $step"
done
pass "analytic conv kernel: periodic checkpoints and stops at steps 1 and 5 give the same Theta"
