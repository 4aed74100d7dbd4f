# spectrum.pair_check on the same matrix_free job (N = 1000, top 40 > 32, 2
# ranks): probes (PARPACK's Ritz estimates, verified by 4 probes) against
# exact (one product per pair), at spectrum.tolerance 1e-4 so that the last
# pairs stop well above rounding. The same Lanczos run, so the same
# eigenvalues; the estimates equal the explicit residuals to a factor 2 where
# those are above rounding, and are floored at eps below it; summary.yaml
# says which check ran, the orthogonality, where the residuals come from,
# and products counts the check's (exact takes 40 - 4 more), in plan too. auto picks
# probes at top 40 and exact at top 32 (default tolerance).
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch matrix_free_pair_check)
job="$NTK_TESTS_DIR/e2e/matrix_free.yaml"
for check in probes exact; do
    ntk 2 run "$job" --quiet --out "$dir/$check" --set spectrum.top=40 \
        --set spectrum.tolerance=1e-4 --set spectrum.pair_check=$check || fail "$check run"
done
ntk 2 run "$job" --quiet --out "$dir/auto" --set spectrum.top=40 || fail "top 40 run"
ntk 2 run "$job" --quiet --out "$dir/auto-32" --set spectrum.top=32 || fail "top 32 run"
py - "$dir" <<'PY' || fail "pair_check probes and exact disagree"
import sys, numpy as np, yaml
d = sys.argv[1]
def spectrum(name):
    s = yaml.safe_load(open(f"{d}/{name}/summary.yaml"))["spectrum"]
    return s, s["matrix_free"], np.load(f"{d}/{name}/eigenvalues.npy")
ps, pm, pv = spectrum("probes")
es, em, ev = spectrum("exact")
assert (ps["eigenpair_check"], ps["eigenpair_check_probes"]) == ("probes", 4), ps
assert (es["eigenpair_check"], es["eigenpair_check_probes"]) == ("exact", 0), es
assert pm["pair_residuals_from"] == "ritz_estimates", pm
assert em["pair_residuals_from"] == "products", em
assert np.array_equal(pv, ev), np.max(np.abs(pv - ev) / np.abs(ev))
assert em["products"] - pm["products"] == 40 - 4, (em["products"], pm["products"])
assert pm["converged"] == em["converged"] == 40
for s in (ps, es):
    assert 0 <= s["max_orthogonality_error"] <= 1e-12, s["max_orthogonality_error"]
estimate, explicit = np.array(pm["pair_residuals"]), np.array(em["pair_residuals"])
tolerance = pm["tolerance"]
assert estimate.max() <= tolerance and explicit.max() <= tolerance, (estimate, explicit)
assert estimate.min() >= np.finfo(float).eps, estimate.min()  # floored at rounding
# Above rounding (the explicit check's own, 16 eps sqrt(M)) the estimates are
# the residuals; below it the explicit ones are rounding and the estimates eps.
floor = 16 * np.finfo(float).eps * np.sqrt(1000)
above = explicit > floor
ratio = estimate[above] / explicit[above]
assert above.sum() >= 5 and np.all((ratio >= 0.5) & (ratio <= 2)), list(zip(estimate, explicit))
assert np.all(estimate[~above] <= floor), list(zip(estimate, explicit))
assert abs(ps["max_relative_residual"] - estimate.max()) <= 1e-30 + 1e-12 * estimate.max()
auto = spectrum("auto")[0]
auto32 = spectrum("auto-32")[0]
assert auto["eigenpair_check"] == "probes" and auto32["eigenpair_check"] == "exact", (auto, auto32)
assert auto32["matrix_free"]["pair_residuals_from"] == "products"
print(f"probes vs exact: eigenvalues identical; {int(above.sum())} of 40 pairs above rounding, "
      f"residual ratio {ratio.min():.2f} .. {ratio.max():.2f}; products {pm['products']} / "
      f"{em['products']}")
PY
# plan counts the check's products the same way: top for exact, 4 for probes.
planned() {
    ntk serial plan "$job" --set spectrum.top=40 --set spectrum.pair_check=$1 \
        | sed -n 's/.*about \([0-9]*\) products.*/\1/p'
}
exact=$(planned exact) probes=$(planned probes)
[ -n "$exact" ] && [ $((exact - probes)) -eq 36 ] || fail "plan: $exact products exact, $probes probes"
pass "pair_check probes agrees with exact"
