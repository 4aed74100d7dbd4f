# kernel.compare_analytic: the distance in summary.yaml equals numpy's
# ||Theta_emp - Theta_inf||_F / ||Theta_inf||_F from the two written kernels.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch compare_analytic)
job="$NTK_TESTS_DIR/e2e/small.yaml"
common=(--set "model.layers=[{dense: 64}, relu, {dense: 48}, erf, {dense: 2}]" --set model.b_std=0.3)
ntk 2 run "$job" --quiet --out "$dir/emp" "${common[@]}" --set kernel.compare_analytic=true \
    || fail "empirical run"
ntk 3 run "$job" --quiet --out "$dir/inf" "${common[@]}" --set kernel.kind=analytic \
    || fail "analytic run"
py - "$dir" <<'PY' || fail "distance mismatch"
import sys, numpy as np
d = sys.argv[1]
emp, inf = np.load(f"{d}/emp/theta.npy"), np.load(f"{d}/inf/theta.npy")
expected = np.linalg.norm(emp - inf) / np.linalg.norm(inf)
line = [l for l in open(f"{d}/emp/summary.yaml") if "analytic_distance" in l][0]
reported = float(line.split(":")[1])
assert abs(reported - expected) <= 1e-10 * expected, (reported, expected)
print(f"analytic distance {reported:.6f} = numpy {expected:.6f}")
PY
pass "compare_analytic"
