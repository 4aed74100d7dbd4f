"""check_training.py OUT_DIR LEARNING_RATE N K STEPS RECORD_EVERY TOLERANCE [narrow]

Checks OUT_DIR/training.csv of a training run:
  - rows at 0, every RECORD_EVERY steps and STEPS;
  - both predicted columns equal the formulas recomputed here from modes.csv
    (eigenvalues, target energies) and the measured loss at step 0:
      L(t) = L(0) (sum_i g_i(t) E_i + (1 - sum_i E_i)),
      g_i = (1 - eta lambda_i / (N k))^(2t)  or  exp(-2 eta lambda_i t / (N k));
  - measured and predicted (discrete) loss agree to TOLERANCE relative, and the
    loss fell by at least 10x (so the comparison covers real training);
  - at the first recorded step the discrete prediction is closer to the
    measured loss than the continuous one (gradient descent takes discrete
    steps); not checked with "narrow", where finite width dominates.
Prints the largest relative difference as "prediction_error=<value>"."""
import csv
import sys

import numpy as np

out, eta, n, k, steps, every, tolerance = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), \
    int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7])
with open(f"{out}/training.csv", newline="") as f:
    rows = list(csv.DictReader(f))
with open(f"{out}/modes.csv", newline="") as f:
    modes = list(csv.DictReader(f))
step = np.array([int(r["step"]) for r in rows])
measured = np.array([float(r["measured_loss"]) for r in rows])
discrete = np.array([float(r["predicted_loss"]) for r in rows])
continuous = np.array([float(r["predicted_loss_continuous"]) for r in rows])
expected_steps = sorted(set(range(0, steps + 1, every)) | {steps})
if list(step) != expected_steps:
    sys.exit(f"recorded steps {list(step)}, expected {expected_steps}")

lam = np.array([float(m["eigenvalue"]) for m in modes])
energy = np.array([float(m["target_energy"]) for m in modes])
rate = eta * lam / (n * k)
unresolved = max(1.0 - energy.sum(), 0.0)
for name, got, decay in (("predicted_loss", discrete, lambda t: (1 - rate) ** (2 * t)),
                         ("predicted_loss_continuous", continuous, lambda t: np.exp(-2 * rate * t))):
    want = np.array([measured[0] * ((decay(t) * energy).sum() + unresolved) for t in step])
    error = np.abs(got - want).max() / want.min()
    if error > 1e-9:
        sys.exit(f"{name} differs from the formula by {error:.2e}: {got} vs {want}")

if not measured[-1] < 0.1 * measured[0]:
    sys.exit(f"the loss fell only from {measured[0]} to {measured[-1]}")
relative = np.abs(measured - discrete) / measured
print(f"prediction_error={relative.max():.6g}")
print(f"measured  {measured}\npredicted {discrete}")
narrow = len(sys.argv) > 8 and sys.argv[8] == "narrow"
if not narrow and abs(discrete[1] - measured[1]) >= abs(continuous[1] - measured[1]):
    sys.exit(f"step {step[1]}: discrete prediction {discrete[1]} not closer to {measured[1]} "
             f"than continuous {continuous[1]}")
if not relative.max() <= tolerance:
    sys.exit(f"measured and predicted loss differ by {relative.max():.3%} > {tolerance:.1%}")
