# Chunk passes are assembly steps: a run stopped after the whole-layer step
# or after a chunk pass resumes from its checkpoint to the same Theta, bit for
# bit (the passes add into Theta in the same order).
. "$NTK_TESTS_DIR/checkpoint/common.sh"
job="$NTK_TESTS_DIR/conv/small_cnn.yaml"
dir=$(scratch conv-chunked-checkpoint)
net=(--set 'data.inputs.shape=[8,8,16]' --set kernel.method=structured --set kernel.chunk_mib=1
     --set 'grid.shape=[1,2]'
     --set 'model.layers=[{conv: {channels: 24, kernel: 3}}, relu, {conv: {channels: 24, kernel: 3}}, relu, global_avg_pool, {dense: 3}]')
ntk 2 run "$job" --quiet --out "$dir/ref" "${net[@]}" || fail "reference run"
total=$(interrupt 2 1 0 "$dir/probe" "${net[@]}")
[ "$total" -ge 4 ] || fail "expected the whole-layer step and several chunk passes, got $total steps"
for step in 1 $((total - 2)); do
    out="$dir/run-$step"
    interrupt 2 "$step" 1 "$out" "${net[@]}" >/dev/null
    resume 2 "$step" "$total" "$out" "${net[@]}"
    same_bits "$dir/ref/theta.npy" "$out/theta.npy" "theta after a stop at step $step of $total"
done
pass "chunked structured assembly: stops after steps 1 and $((total - 2)) of $total resume to the same Theta"
