"""training_modes.csv against the linearised prediction, within the kernel's drift.

  check_modes_width.py OUT_DIR ETA

OUT_DIR holds a training run (k = 1 output, trace kernel) with kernel_every
and mode_every 1: theta.npy (Theta_0), eigenvalues.npy, kernel_drift.csv and
training_modes.csv. With a = eta / (N k), a step of gradient descent changes
the outputs by f_{s+1} - f_s = -a K_s r_s exactly, with K_s = Jbar_s J_s^T,
Jbar_s the Jacobian averaged along the step; to first order in the step,
K_s = Theta_s + (1/2) dJ J_s^T, between the kernels at the step's two ends.
On an eigenvector v_i of Theta_0 (eigenvalue lambda_i, rate_i = a lambda_i),
c_s = v_i . r_s obeys c_{s+1} = (1 - rate_i) c_s - a v_i . (K_s - Theta_0) r_s,
so with |1 - rate_i| <= 1

  | |c_t| - |1 - rate_i|^t |c_0| |  <=  B_t = sum_{s<t} a D_s ||r_s||

where D_s bounds ||K_s - Theta_0||_2 by the larger measured drift of the
step's two ends, max(relative_frobenius_s, relative_frobenius_{s+1})
||Theta_0||_F, and ||r_s||^2 = 2 N k train_loss_s, all from kernel_drift.csv
(a first-order bound: the step's own curvature enters through D_s). Checked:
every tracked mode at every step is within B_t of `predicted`; `predicted`
is |1 - rate_i|^t measured(0) (1e-10 relative, numpy); gradient flow's
exp(-rate_i t) measured(0) misses mode 1 by more than B_t at some step (the
regime tells the two apart).
"""
import csv
import sys

import numpy as np

out, eta = sys.argv[1], float(sys.argv[2])
theta = np.load(f"{out}/theta.npy")
lam = np.load(f"{out}/eigenvalues.npy")
n, k = theta.shape[0], 1
a = eta / (n * k)
theta_norm = np.linalg.norm(theta)
drift = {int(r["step"]): r for r in csv.DictReader(open(f"{out}/kernel_drift.csv"))}
rows = list(csv.DictReader(open(f"{out}/training_modes.csv")))
last = max(drift)
assert sorted(drift) == list(range(last + 1)), sorted(drift)

bound = [0.0]
for s in range(last):
    residual = np.sqrt(2.0 * n * k * float(drift[s]["train_loss"]))
    step_drift = max(float(drift[s]["relative_frobenius"]), float(drift[s + 1]["relative_frobenius"]))
    bound.append(bound[-1] + a * theta_norm * step_drift * residual)

initial = {int(r["mode"]): float(r["measured"]) for r in rows if int(r["step"]) == 0}
failures, worst, continuous_misses = [], 0.0, 0
for r in rows:
    t, i = int(r["step"]), int(r["mode"])
    measured, predicted = float(r["measured"]), float(r["predicted"])
    rate = a * lam[i - 1]
    assert rate <= 2.0, rate
    expected = abs(1.0 - rate) ** t * initial[i]
    if abs(predicted - expected) > 1e-10 * max(expected, 1e-12):
        failures.append(f"step {t} mode {i}: predicted {predicted} vs numpy {expected!r}")
    gap = abs(measured - predicted)
    if t > 0:
        worst = max(worst, gap / bound[t])
        if gap > bound[t]:
            failures.append(f"step {t} mode {i}: |measured - predicted| = {gap:.3g} > "
                            f"the drift's bound {bound[t]:.3g}")
        if i == 1 and abs(measured - float(r["predicted_continuous"])) > bound[t]:
            continuous_misses += 1
if continuous_misses == 0:
    failures.append("gradient flow's prediction is within the bound too: the regime does not "
                    "tell discrete steps from gradient flow")
if failures:
    print("\n".join(failures[:20]))
    sys.exit(1)
print(f"training modes: largest |measured - predicted| / bound = "
      f"{worst:.3f}; gradient flow outside the bound at {continuous_misses} steps of mode 1; "
      f"drift at step {last}: {float(drift[last]['relative_frobenius']):.3g}")
