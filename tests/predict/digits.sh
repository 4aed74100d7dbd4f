# Test-set kernel regression on real data: scikit-learn's digits (shipped by
# python3-sklearn), one-hot targets, through jobs/make_digits.py and
# jobs/digits-predict.yaml. (1) kernel.kind analytic: ntkgram's accuracy at
# t = infinity equals numpy's kernel regression (numpy.linalg.solve on the
# written theta.npy and test_theta.npy) and is at least 0.95; (2) the
# empirical kernel of the example job reaches at least 0.95 at t = infinity and
# its accuracy rises from step 100 to infinity.
. "$NTK_TESTS_DIR/lib.sh"
need_python
"$NTK_PYTHON" -c "import sklearn" 2>/dev/null || fail "python3-sklearn is not installed"
dir=$(scratch predict-digits)
cd "$dir"
py "$NTK_SOURCE_DIR/jobs/make_digits.py" digits || fail "make_digits.py"
cp "$NTK_SOURCE_DIR/jobs/digits-predict.yaml" .

log=$(ntk 2 run digits-predict.yaml --set kernel.kind=analytic --set output.theta=true \
      --set output.test_theta=true --out analytic 2>&1) || fail "analytic run: $log"
py "$NTK_TESTS_DIR/predict/kernel_regression.py" analytic digits 0.95 \
    || fail "kernel regression differs from numpy's"
pass "analytic NTK regression on digits equals numpy's"

log=$(ntk 2 run digits-predict.yaml --out empirical 2>&1) || fail "empirical run: $log"
py - <<'PY' || fail "empirical accuracy"
import csv
rows = {r["step"]: r for r in csv.DictReader(open("empirical/predict.csv"))}
print({s: rows[s]["test_accuracy"] for s in rows})
assert float(rows["inf"]["test_accuracy"]) >= 0.95, rows["inf"]
assert float(rows["inf"]["test_accuracy"]) > float(rows["100"]["test_accuracy"])
import xml.dom.minidom
svg = xml.dom.minidom.parse("empirical/predict.svg")
assert len(svg.getElementsByTagName("polyline")) == 2  # train and test loss
PY
pass "empirical NTK on digits: accuracy at infinity"
