"""Two runs of the same job on different ranks or grids give the same
diagnostics: summary.yaml's diagnostics, learning_curve.csv and modes.csv's
target_power_cumulative agree to 1e-10 (relative).
Usage: compare_runs.py OUT_A OUT_B"""
import csv
import sys

import numpy as np
import yaml

a, b = sys.argv[1], sys.argv[2]


def diagnostics(out):
    return yaml.safe_load(open(f"{out}/summary.yaml"))["diagnostics"]


def table(out, name):
    rows = list(csv.DictReader(open(f"{out}/{name}")))
    return {key: np.array([float(r[key]) if r[key] else np.nan for r in rows]) for key in rows[0]}


def close(name, x, y):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    scale = max(np.nanmax(np.abs(y)), 1e-300)
    err = np.nanmax(np.abs(x - y)) / scale
    assert err <= 1e-10 and np.array_equal(np.isnan(x), np.isnan(y)), f"{name}: {x} vs {y} ({err:.3g})"


da, db = diagnostics(a), diagnostics(b)
assert da.keys() == db.keys(), (da.keys(), db.keys())
for key in da:
    if isinstance(da[key], (int, float)) and not isinstance(da[key], bool):
        close(key, da[key], db[key])
    else:
        assert da[key] == db[key], (key, da[key], db[key])
ta, tb = table(a, "modes.csv"), table(b, "modes.csv")
close("target_power_cumulative", ta["target_power_cumulative"], tb["target_power_cumulative"])
ca, cb = table(a, "learning_curve.csv"), table(b, "learning_curve.csv")
assert np.array_equal(ca["n"], cb["n"])
for key in ("kappa", "predicted_mse", "measured_mse"):
    close(key, ca[key], cb[key])
# the spread of a few repeats is a difference of nearby numbers: compare it
# against the mean it is a spread of
close("measured_mse_std", ca["measured_mse_std"] / np.maximum(ca["measured_mse"], 1e-300),
      cb["measured_mse_std"] / np.maximum(cb["measured_mse"], 1e-300))
print(f"ok {a} == {b}")
