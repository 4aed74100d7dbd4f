# spectrum.solver auto within --mem-per-rank (issue 20): at N = 20,000
# (all pairs) on 1, 2 and 4 ranks with 14 GiB per rank, plan picks a solver
# whose planned peak fits (before: lapack, 15.9 GiB on 1 rank); with 10 GiB
# on 1 rank none fits and plan says so, with the fewest ranks that fit. For
# values only and the top k, and with an explicit solver (which auto's
# limit does not touch). Nothing runs: plan only.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch plan_solver_memory)
cat >"$dir/big.yaml" <<YAML
name: big
data:
  inputs: {synthetic: gaussian, n: 20000, dim: 16, seed: 3}
model:
  layers: [{dense: 512}, relu, {dense: 512}, relu, {dense: 1}]
output: {dir: out}
YAML
check() { # RANKS MEM VECTORS TOP SOLVER EXPECT(fits|refused)
    local out
    out=$(ntk serial plan "$dir/big.yaml" --ranks "$1" --mem-per-rank "$2" --format yaml \
        --set spectrum.vectors="$3" --set spectrum.top="$4" --set spectrum.solver="$5" 2>&1) \
        || fail "plan $*: $out"
    printf '%s\n' "$out" | "$NTK_PYTHON" -c '
import sys, yaml
plan = yaml.safe_load(sys.stdin)
limit = float(sys.argv[1]) * 2**30
peak = plan["memory_per_rank_bytes"]["eigensolve_phase"]
solver, reason = plan["solver"], plan["solver_reason"]
print(f"ok: {sys.argv[3:]}: {solver} peaks at {peak / 2**30:.2f} GiB ({reason})")
if sys.argv[2] == "fits":
    assert peak <= limit, f"auto picked {solver} at {peak / 2**30:.2f} GiB > limit"
' "${2%G}" "$6" "$@" || fail "plan $*: $out"
    local verdict=true
    [ "$6" = refused ] && verdict=false
    printf '%s\n' "$out" | grep -q "^fits: $verdict$" || fail "plan $*: not fits: $verdict: $out"
}
for ranks in 1 2 4; do
    check "$ranks" 14G true 0 auto fits
    check "$ranks" 14G false 0 auto fits
    check "$ranks" 14G true 100 auto fits
done
check 1 10G true 0 auto refused
pass "auto within --mem-per-rank at N = 20000"
