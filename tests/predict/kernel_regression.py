"""kernel_regression.py OUT DATA MIN_ACCURACY: kernel regression on the matrices
ntkgram wrote, by numpy alone, for a job with kernel.kind analytic (f_0 = 0)
and one-hot targets: f_inf(test) = Theta_test,train Theta^-1 y with
numpy.linalg.solve (no eigendecomposition), its test accuracy, against the
t = infinity slice of OUT/test_predictions.npy and the `inf` row of
OUT/predict.csv. Also checks the accuracy is at least MIN_ACCURACY."""
import csv
import sys

import numpy as np

out, data, minimum = sys.argv[1], sys.argv[2], float(sys.argv[3])
theta = np.load(f"{out}/theta.npy")
cross = np.load(f"{out}/test_theta.npy")
y = np.load(f"{data}/train_targets.npy")
y_test = np.load(f"{data}/test_targets.npy")
want = cross @ np.linalg.solve(theta, y)
accuracy = float((want.argmax(axis=1) == y_test.argmax(axis=1)).mean())
got = np.load(f"{out}/test_predictions.npy")[-1]
error = np.abs(got - want).max() / np.abs(want).max()
with open(f"{out}/predict.csv") as f:
    rows = list(csv.DictReader(f))
reported = float(rows[-1]["test_accuracy"])
print(f"numpy kernel regression: accuracy {accuracy:.6f}; ntkgram {reported:.6f}; "
      f"predictions differ by {error:.2e} (relative)")
assert rows[-1]["step"] == "inf", rows[-1]
assert error < 1e-8, error
assert abs(reported - accuracy) < 1e-12, (reported, accuracy)
assert accuracy >= minimum, (accuracy, minimum)
