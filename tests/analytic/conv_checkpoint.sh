# The analytic conv kernel is restartable like every assembly: with a
# checkpoint after every step (checkpoint.every) it gives the same Theta bit
# for bit, and a run stopped by SIGUSR1 at a step boundary (the first and a
# late step, 2 ranks, 2 x 1 grid) resumes from its checkpoint to the same
# Theta and NNGP kernel, bit for bit. A run from the first step takes the
# NNGP kernel from Theta's pair evaluations (no second assembly); a resumed
# one assembles it separately: the same bits either way.
# A job array's pieces (ntkgram run --piece I/K): 3 pieces, each its own
# steps of Theta and NNGP into its own checkpoints and nothing into
# output.dir (piece 1 stopped after step 3 and resumed, so it keeps no
# NNGP), then a plain run combines them to the same Theta and NNGP bits,
# computing no step of Theta and only piece 1's NNGP (reading the pieces 5
# values at a time: NTK_TEST_READ_BUFFER_VALUES);
# a combining run on another grid is refused naming both grids; bad --piece
# values, --piece with an empirical kernel and --piece with --point are refused,
# writing nothing.
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

out="$dir/pieces"
NTK_TEST_SIGNAL_AT_STEP=3 NTK_TEST_SIGNAL_RANK=1 ntk 2 run "$job" --out "$out" --piece 1/3 \
    >"$dir/piece-stop.log" 2>&1
rc=$?
[ $rc -eq 9 ] && grep -q "^ntkgram: error: interrupted by signal SIGUSR1 after step 3 of 7; checkpoint written to $out/checkpoint/theta.piece-1-of-3.ckpt; run the same command again to resume$" \
    "$dir/piece-stop.log" || fail "piece 1 stopped after step 3: exit $rc: $(cat "$dir/piece-stop.log")"
for piece in 0 1 2; do
    ntk 2 run "$job" --out "$out" --piece "$piece/3" >"$dir/piece-$piece.log" 2>&1 ||
        fail "piece $piece of 3: $(cat "$dir/piece-$piece.log")"
    [ -s "$out/checkpoint/theta.piece-$piece-of-3.ckpt" ] || fail "piece $piece wrote no checkpoint"
done
grep -q "resuming from checkpoint: step 3 of 7 ($out/checkpoint/theta.piece-1-of-3.ckpt)" \
    "$dir/piece-1.log" || fail "piece 1 did not resume from its checkpoint: $(cat "$dir/piece-1.log")"
[ "$(ls -A "$out")" = checkpoint ] || fail "a piece wrote into output.dir: $(ls -A "$out")"
ntk serial run "$job" --out "$out" --set grid.shape=[1,1] >"$dir/grid.log" 2>&1
rc=$?
[ $rc -eq 3 ] || fail "combining on another grid: exit $rc, expected 3: $(cat "$dir/grid.log")"
grep -q "^ntkgram: error: checkpoint $out/checkpoint/theta.piece-0-of-3.ckpt was written on a 2x1 grid with block 2; this run has 1x1 with block 2; run with the same grid or remove it$" \
    "$dir/grid.log" || fail "unexpected refusal of another grid: $(cat "$dir/grid.log")"
# 5 values per read: many reads per piece, across its steps' boundaries, more on one rank
NTK_TEST_READ_BUFFER_VALUES=5 ntk 2 run "$job" --out "$out" >"$dir/combine.log" 2>&1 ||
    fail "combining run: $(cat "$dir/combine.log")"
grep -q "combining 3 piece checkpoints of Theta in $out/checkpoint: 7 of 7 steps restored from them, 0 to compute" \
    "$dir/combine.log" || fail "the combining run did not restore every step: $(cat "$dir/combine.log")"
grep -q "combining 2 piece checkpoints of NNGP kernel in $out/checkpoint: 5 of 7 steps restored from them, 2 to compute" \
    "$dir/combine.log" && grep -q "assemble nngp: 2 of 7 steps whose Theta was restored without it" \
    "$dir/combine.log" || fail "the combining run did not take the NNGP kernel of pieces 0 and 2 and compute piece 1's: $(cat "$dir/combine.log")"
same_bits "$dir/ref/theta.npy" "$out/theta.npy" "theta combined from 3 pieces"
same_bits "$dir/ref/nngp.npy" "$out/nngp.npy" "nngp of the run combining 3 pieces"
[ ! -e "$out/checkpoint" ] || fail "the combining run left its pieces: $(ls "$out/checkpoint")"

for bad in "3/3|the piece I must be below K" "x/2|--piece needs I/K" \
    "0/2 --set kernel.kind=empirical|--piece needs kernel.kind analytic" \
    "0/2 --point 0|--piece and --point cannot be combined"; do
    # shellcheck disable=SC2086 # the value carries its --set
    ntk serial run "$job" --out "$dir/bad" --piece ${bad%%|*} >"$dir/bad.log" 2>&1
    rc=$?
    [ $rc -eq 2 ] && [ "$(wc -l <"$dir/bad.log")" -eq 1 ] && grep -q -- "${bad#*|}" "$dir/bad.log" ||
        fail "--piece ${bad%%|*}: exit $rc, expected 2 and one line with '${bad#*|}': $(cat "$dir/bad.log")"
    [ ! -e "$dir/bad" ] || fail "--piece ${bad%%|*} wrote $dir/bad"
done
pass "analytic conv kernel: periodic checkpoints, stops at steps 1 and 5 and 3 pieces of a job array give the same Theta"
