# The other paths through a net with blocks (branches.yaml): the cross
# kernel of held-out inputs and the predictions, structured == jacobian; a
# checkpointed run resumes to the same Theta bit for bit; the matrix-free
# top eigenpairs equal pdsyevd's (tests/e2e/check_matrix_free.py), stored
# and recomputed features, on 1 and 2 ranks.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch branches-paths)
job="$NTK_TESTS_DIR/branches/branches.yaml"
# Predictions: the cross kernel of held-out inputs and the predicted
# outputs, structured == jacobian on 2 ranks.
held_out=(--set 'data.test_inputs={synthetic: gaussian, n: 5, shape: [6, 6, 2], seed: 9}'
          --set 'predict={steps: [10]}' --set output.test_theta=true)
for method in structured jacobian; do
    ntk 2 run "$job" --quiet --out "$dir/predict-$method" "${held_out[@]}" \
        --set kernel.method=$method || fail "predictions ($method)"
done
for file in test_theta.npy test_predictions.npy; do
    compare_npy "$dir/predict-jacobian/$file" "$dir/predict-structured/$file" 1e-10 \
        || fail "$file: structured != jacobian"
done
pass "blocks: cross kernel and predictions, structured == jacobian"

# A checkpoint (the jacobian method in parameter chunks of 64: several steps):
# stopped after step 2 (NTK_TEST_SIGNAL_AT_STEP, src/core/signals.h),
# the rerun resumes and gives the uninterrupted Theta bit for bit.
setup=(--set 'grid.shape=[1,2]' --set grid.block=4 --set kernel.method=jacobian
       --set kernel.jacobian_chunk=64)
ntk 2 run "$job" --quiet --out "$dir/ckpt-ref" "${setup[@]}" || fail "checkpoint reference run"
NTK_TEST_SIGNAL_AT_STEP=2 NTK_TEST_SIGNAL_RANK=0 ntk 2 run "$job" --quiet --out "$dir/ckpt" \
    "${setup[@]}" > "$dir/ckpt.log" 2>&1
rc=$?
[ $rc -eq 9 ] && [ -s "$dir/ckpt/checkpoint/theta.ckpt" ] \
    || fail "interrupted run: exit $rc (expected 9), checkpoint: $(ls "$dir/ckpt/checkpoint" 2>&1)"
ntk 2 run "$job" --out "$dir/ckpt" "${setup[@]}" > "$dir/ckpt-resume.log" 2>&1 || fail "resumed run"
grep -q "resuming from checkpoint: step 2 of" "$dir/ckpt-resume.log" || fail "the rerun did not resume"
cmp -s "$dir/ckpt-ref/theta.npy" "$dir/ckpt/theta.npy" || fail "resumed Theta differs from the uninterrupted one"
pass "blocks: a checkpointed run resumes to the same Theta bit for bit"

size=(--set data.inputs.n=60 --set grid.block=8)
for outputs in trace full; do
    dense="$dir/dense-$outputs"
    ntk 2 run "$job" --quiet --out "$dense" "${size[@]}" --set kernel.outputs=$outputs \
        --set spectrum.solver=pdsyevd || fail "pdsyevd run ($outputs)"
    for setup in "serial 8 stored" "2 12 recompute"; do
        set -- $setup
        out="$dir/mf-$outputs-$1-$2-$3"
        ntk "$1" run "$job" --quiet --out "$out" "${size[@]}" --set kernel.outputs=$outputs \
            --set output.theta=false --set spectrum.solver=matrix_free --set spectrum.top=$2 \
            --set spectrum.features=$3 || fail "matrix_free run ($outputs $setup)"
        py "$NTK_TESTS_DIR/e2e/check_matrix_free.py" "$out" "$dense" "$2" \
            || fail "matrix_free vs pdsyevd ($outputs $setup)"
    done
done
pass "blocks: matrix-free top eigenpairs == pdsyevd's, stored and recomputed features"
