#!/bin/bash
# Runs output_text_writer (argument 1) and checks what it wrote:
# summary.yaml parses with yaml.safe_load and has the numbers put in,
# modes.csv has its header and one row per mode, eigenvalues.npy loads,
# spectrum.svg is well-formed XML with the panels it should have.
. "$NTK_TESTS_DIR/lib.sh"
writer=$1
dir=$(scratch output_text)
"$writer" "$dir" || fail "writer failed"
for case in with without; do
    for f in summary.yaml modes.csv eigenvalues.npy spectrum.svg; do
        [ -s "$dir/$case/$f" ] || fail "$case/$f missing"
        [ -e "$dir/$case/$f.partial" ] && fail "$case/$f.partial left behind"
    done
done
py - "$dir" <<'PY' || fail "output checks failed"
import csv, math, sys
import xml.etree.ElementTree as ET
import numpy as np
root = sys.argv[1]
try:
    import yaml
except ImportError:
    yaml = None

def check(cond, what):
    if not cond:
        sys.exit("FAIL: " + what)

# --- with targets: 3 of 5 modes ---
rows = list(csv.reader(open(f"{root}/with/modes.csv")))
check(rows[0] == ["mode", "eigenvalue", "rate", "target_energy", "cumulative_energy"], "csv header")
check(len(rows) == 4, f"csv rows {len(rows)}")
check([r[0] for r in rows[1:]] == ["0", "1", "2"], "modes numbered from 0")
check(float(rows[2][1]) == 2.5 and float(rows[2][2]) == 0.5 * 2.5 / 4, "csv values")
check(float(rows[3][4]) == 0.875, "cumulative energy")
values = np.load(f"{root}/with/eigenvalues.npy")
check(values.shape == (3,) and values.dtype == np.float64 and values[0] == 1000.0, "npy")

summary_text = open(f"{root}/with/summary.yaml").read()
if yaml is not None:
    s = yaml.safe_load(summary_text)
    check(s["sizes"]["n_inputs"] == 5 and s["parallel"]["grid"] == [1, 2], "sizes/grid")
    check(s["kernel"]["method"] == "structured" and s["kernel"]["flops_total"] == 1e21, "kernel")
    check(s["kernel"]["jacobian_seconds"] == 2.0 and s["kernel"]["products_seconds"] == 3.0
          and abs(s["kernel"]["products_gflops_per_rank"] - 1e21 / 6.0 * 1e-9) < 1e-3,
          "kernel timers")
    check(s["kernel"]["jacobian_cpu_seconds"] == 5.0 and s["kernel"]["products_cpu_seconds"] == 8.0
          and abs(s["kernel"]["products_gflops_per_cpu_second"] - 1e21 / 8.0 * 1e-9) < 1e-3,
          "kernel CPU timers")
    sp = s["spectrum"]
    check(isinstance(sp["lambda_max"], float) and sp["lambda_max"] == 1000.0, "lambda_max float")
    check(sp["condition_number"] == 1e6 and sp["trace"] == 1002.6, "condition/trace")
    check(sp["largest_stable_learning_rate"] == 0.008, "stable lr")
    d = s["dynamics"]
    check(d["residual_norm"] == 4.0 and d["unresolved_energy"] == 0.125, "residual")
    steps = [p["step"] for p in d["predicted_loss"]]
    check(steps == [0, 1, 10, 1000], f"steps {steps}")
    # L(t) = 16/(2*4) * (sum_i E_i exp(-2 rate_i t) + 0.125), by hand
    rates = [0.5 * v / 4 for v in (1000.0, 2.5, 1e-3)]
    for p in d["predicted_loss"]:
        t = p["step"]
        expect = 2.0 * (sum(e * math.exp(-2 * r * t) for e, r in zip((0.5, 0.25, 0.125), rates)) + 0.125)
        check(abs(p["loss"] - expect) <= 1e-12 * max(1, expect), f"loss at {t}: {p['loss']} vs {expect}")
    check(s["timings"]["phases"]["eigensolve"] == 3.0 and s["timings"]["wall_seconds"] == 4.0, "timings")
    check(s["training"]["final_loss"] is None, "training null")
    check("job" in s, "job echo")
else:
    for key in ("sizes:", "spectrum:", "lambda_max: 1000.0", "predicted_loss:", "timings:"):
        check(key in summary_text, f"summary has {key}")

svg = ET.parse(f"{root}/with/spectrum.svg").getroot()
ns = "{http://www.w3.org/2000/svg}"
check(svg.tag == ns + "svg", "svg root")
texts = "".join("".join(t.itertext()) for t in svg.iter(ns + "text"))
check('test <job> & "plot"' in texts, "job name escaped and shown")
check("Predicted training loss" in texts and "Eigenvalues" in texts, "two panels")
check(len(svg.findall(f"{ns}polyline")) == 2, "two curves")
check(not any(el.tag.endswith("script") for el in svg.iter()), "no scripts")

# --- without targets: values only, one non-positive eigenvalue ---
rows = list(csv.reader(open(f"{root}/without/modes.csv")))
check(len(rows) == 5 and rows[1][3] == "" and rows[1][4] == "", "empty energies")
if yaml is not None:
    s = yaml.safe_load(open(f"{root}/without/summary.yaml"))
    check(s["spectrum"]["condition_number"] == math.inf, "infinite condition number")
    check(s["spectrum"]["lambda_min"] == -1e-9, "lambda_min")
    check(s["dynamics"]["predicted_loss"] == [], "no predicted loss")
svg = ET.parse(f"{root}/without/spectrum.svg").getroot()
texts = "".join("".join(t.itertext()) for t in svg.iter(ns + "text"))
check("Predicted training loss" not in texts and "not shown" in texts, "one panel, note")
print("output checks passed")
PY
pass "text outputs"
