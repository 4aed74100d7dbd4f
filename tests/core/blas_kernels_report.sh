# The BLAS kernels in summary.yaml and plan agree, and run warns exactly when
# a faster OPENBLAS_CORETYPE is suggested (the environment is left as CI has
# it, so on one machine this checks the warning and on another its absence).
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch blas-kernels)
cd "$dir"
job="$NTK_SOURCE_DIR/tests/e2e/small.yaml"
log=$(ntk 2 run "$job" --out run 2>&1) || fail "run: $log"
ntk serial plan "$job" --ranks 2 --format yaml > plan.yaml || fail "plan --format yaml"
text=$(ntk serial plan "$job" --ranks 2) || fail "plan"
py - run/summary.yaml plan.yaml "$log" "$text" <<'PY' || fail "blas report"
import sys, yaml
summary = yaml.safe_load(open(sys.argv[1]))["blas"]
plan = yaml.safe_load(open(sys.argv[2]))["blas"]
log, text = sys.argv[3], sys.argv[4]
keys = ["library", "kernels", "kernels_simd", "cpu_simd", "suggested_coretype"]
assert sorted(summary) == sorted(keys), summary
assert summary == plan, (summary, plan)
assert summary["kernels_simd"] in ("sse", "avx", "avx2", "avx512", "unknown"), summary
suggested = summary["suggested_coretype"]
warned = [l for l in log.splitlines() if "warning:" in l and "OPENBLAS_CORETYPE" in l]
if suggested is None:
    assert not warned, warned
    assert "OPENBLAS_CORETYPE" not in text, text
else:
    assert summary["kernels_simd"] == "sse" and summary["cpu_simd"] in ("avx2", "avx512"), summary
    assert len(warned) == 1 and f"OPENBLAS_CORETYPE={suggested}" in warned[0], log
    assert f"OPENBLAS_CORETYPE={suggested}" in text, text
line = [l for l in text.splitlines() if l.strip().startswith("blas")][0]
assert summary["kernels"] in line and summary["cpu_simd"] in line, line
print("blas:", summary)
PY
pass "blas kernels: summary.yaml and plan agree; warning iff a core is suggested"
