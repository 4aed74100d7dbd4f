# With training: and held-out data, training.csv records the real network's
# test loss next to the linearised prediction: (1) the predicted column equals
# predict.csv's test loss at the steps both have (same formula, 1e-12); (2) for
# a wide network and a small learning rate the measured test loss follows the
# prediction within 4% at every recorded step while it falls more than 10x.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch predict-training)
cd "$dir"
cat > job.yaml <<'JOB'
data:
  inputs: {synthetic: sphere, n: 16, dim: 4, seed: 1}
  targets: {synthetic: sine, seed: 2}
  test_inputs: {synthetic: sphere, n: 9, dim: 4, seed: 5}
  test_targets: {synthetic: sine, seed: 2}
model:
  layers: [{dense: 2048}, relu, {dense: 1}]
  w_std: 1.4142135623730951
  b_std: 0.1
  seed: 0
training: {steps: 100, learning_rate: 0.05, record_every: 10}
dynamics: {learning_rate: 0.05}
predict: {steps: [0, 10, 50, 100]}
output: {dir: out, plot: false}
JOB
log=$(ntk 3 run job.yaml 2>&1) || fail "run: $log"
py - <<'PY' || fail "held-out loss during training"
import csv
rows = list(csv.DictReader(open("out/training.csv")))
predict = {r["step"]: r for r in csv.DictReader(open("out/predict.csv"))}
assert list(rows[0].keys())[-2:] == ["test_loss", "predicted_test_loss_continuous"], rows[0].keys()
same = 0
for r in rows:
    if r["step"] in predict:
        a, b = float(r["predicted_test_loss_continuous"]), float(predict[r["step"]]["test_loss"])
        assert abs(a - b) <= 1e-12 * b, (r["step"], a, b)
        same += 1
assert same == 4, same
measured = [float(r["test_loss"]) for r in rows]
predicted = [float(r["predicted_test_loss_continuous"]) for r in rows]
error = max(abs(m - p) / p for m, p in zip(measured, predicted))
print(f"held-out loss {measured[0]:.4g} -> {measured[-1]:.4g}; measured vs predicted: {error:.3f}")
assert measured[0] > 10 * measured[-1], measured
assert error < 0.04, error
PY
pass "training.csv: the real network's test loss next to the prediction"
