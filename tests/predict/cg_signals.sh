# predict.solver cg and stop signals: SIGTERM after iteration 5 (a
# NTK_TEST_PAUSE_AT pause holds the run there) stops every rank with exit 9,
# writes the iterate's checkpoint and no prediction file; the rerun resumes
# at iteration 5 and gives the same residual history (cg.csv) and the same
# predictions, bit for bit, as a run that was never stopped. Stored Theta
# and matrix-free products, 2 ranks.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch predict_cg_signals)
cd "$dir"
py "$NTK_TESTS_DIR/predict/cg_reference.py" make . 200 5 2 20 || fail "reference data"
cat > job.yaml <<JOB
data: {inputs: inputs.npy, targets: targets.npy, test_inputs: test_inputs.npy}
model:
  layers: [{dense: 16}, tanh, {dense: 2}]
spectrum: {solver: none}
predict: {solver: cg, ridge: 1.0e-4, f0: zero, preconditioner: none, tol: 1.0e-10}
output: {dir: out, plot: false}
JOB
. "$NTK_TESTS_DIR/e2e/signal_run.sh"
export NTK_TEST_PAUSE_SECONDS=30
for operator in stored matrix_free; do
    ntk 2 run job.yaml --quiet --out whole-$operator --set predict.operator=$operator \
        || fail "uninterrupted $operator run"
    NTK_TEST_PAUSE_AT="(after iteration 5)" signal_run "stop-$operator" TERM \
        "test pause during the conjugate gradient (after iteration 5)" 0.2 10 \
        "during the conjugate gradient \(after iteration 5\); checkpoint of the iterate written to stop-$operator/checkpoint/cg.ckpt" \
        job.yaml --set predict.operator=$operator
    [ ! -e stop-$operator/test_predictions.npy ] || fail "$operator: predictions after the stop"
    [ -e stop-$operator/checkpoint/cg.ckpt ] || fail "$operator: no checkpoint"
    log=$(ntk 2 run job.yaml --out stop-$operator --set predict.operator=$operator 2>&1) \
        || fail "$operator rerun: $log"
    echo "$log" | grep -q "cg: resuming from stop-$operator/checkpoint/cg.ckpt at iteration 5" \
        || fail "$operator: the rerun did not resume at iteration 5: $log"
    cmp whole-$operator/cg.csv stop-$operator/cg.csv || fail "$operator: cg.csv differs after resuming"
    cmp whole-$operator/test_predictions.npy stop-$operator/test_predictions.npy \
        || fail "$operator: predictions differ after resuming"
    [ ! -e stop-$operator/checkpoint/cg.ckpt ] || fail "$operator: checkpoint left after success"
    pass "$operator: SIGTERM after iteration 5, resume: the same iterates and predictions"
done
