"""check_table.py SWEEP_DIR POINTS...: sweep.csv has exactly the rows of
POINTS (in order), each row's values name an existing point directory, and
its lambda_max / lambda_min / effective rank / largest stable learning rate
agree with the point's own eigenvalues.npy (recomputed here)."""
import csv
import os
import sys

import numpy as np

sweep_dir = sys.argv[1]
points = [int(p) for p in sys.argv[2:]]
with open(os.path.join(sweep_dir, "sweep.csv"), newline="") as f:
    rows = list(csv.DictReader(f))
if [int(r["point"]) for r in rows] != points:
    sys.exit(f"sweep.csv points {[r['point'] for r in rows]}, expected {points}")
fixed = {"point", "N", "lambda_max", "lambda_min", "effective_rank",
         "largest_stable_learning_rate", "wall_seconds", "analytic_distance"}
for row in rows:
    keys = [k for k in row if k not in fixed]
    name = ",".join(f"{k}={row[k]}" for k in keys).replace("[", "_").replace("]", "_")
    point_dir = os.path.join(sweep_dir, name)
    if not os.path.isfile(os.path.join(point_dir, "summary.yaml")):
        sys.exit(f"row {row['point']}: no {point_dir}/summary.yaml")
    values = np.load(os.path.join(point_dir, "eigenvalues.npy"))
    n = int(row["N"])
    expect = {"lambda_max": values.max(), "lambda_min": values.min(),
              "effective_rank": values.sum() ** 2 / (values ** 2).sum(),
              "largest_stable_learning_rate": 2 * n / values.max()}
    for key, value in expect.items():
        got = float(row[key])
        if abs(got - value) > 1e-10 * abs(value):
            sys.exit(f"row {row['point']}: {key} = {got}, eigenvalues.npy gives {value}")
    if not float(row["wall_seconds"]) > 0 or row["analytic_distance"] != "":
        sys.exit(f"row {row['point']}: wall_seconds/analytic_distance {row}")
print(f"sweep.csv: {len(rows)} rows agree with the points' eigenvalues")
