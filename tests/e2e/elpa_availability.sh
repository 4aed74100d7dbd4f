# spectrum.solver elpa/elpa1 with and without ELPA in the build (issue 12).
# With ELPA (argument 1): the run records which ELPA solver and 2-stage
# kernel ran in summary.yaml (solver_detail), and plan names the solver and
# why. Without (argument 0): the job is refused before any work with one
# error line naming the file, line, column and key, exit code 3 (job error),
# on 1 and 2 ranks; auto and lapack still run.
. "$NTK_TESTS_DIR/lib.sh"
need_python
have_elpa=${1:-0}
dir=$(scratch elpa_availability)
job="$NTK_TESTS_DIR/e2e/small.yaml"
cat >"$dir/elpa.yaml" <<YAML
name: elpa
data:
  inputs: {synthetic: gaussian, n: 40, dim: 5, seed: 3}
model:
  layers: [{dense: 16}, relu, {dense: 1}]
grid: {block: 8}
spectrum:
  solver: elpa
output: {dir: out, theta: true}
YAML
if [ "$have_elpa" = 1 ]; then
    ntk 2 run "$dir/elpa.yaml" --quiet --out "$dir/elpa" || fail "elpa run"
    grep -Eq '^  solver_detail: "?elpa 2-stage, kernel [a-z0-9_]+"?$' "$dir/elpa/summary.yaml" \
        || fail "summary.yaml does not name the ELPA kernel: $(grep solver "$dir/elpa/summary.yaml")"
    ntk serial plan "$dir/elpa.yaml" --ranks 2 >"$dir/plan.txt" || fail "plan"
    grep -q "elpa" "$dir/plan.txt" || fail "plan does not name elpa: $(cat "$dir/plan.txt")"
    ntk serial plan "$job" --ranks 2 >"$dir/plan-auto.txt" || fail "plan (auto)"
    grep -q "lapack" "$dir/plan-auto.txt" && grep -q "one node" "$dir/plan-auto.txt" \
        || fail "plan does not say why auto picked lapack: $(cat "$dir/plan-auto.txt")"
    pass "ELPA runs and is recorded; plan states the pick and why"
else
    for ranks in serial 2; do
        expect_error 3 "elpa\.yaml:[0-9]+:[0-9]+: spectrum\.solver: elpa needs ELPA" \
            $ranks run "$dir/elpa.yaml" --out "$dir/refused"
        expect_error 3 "spectrum\.solver: elpa1 needs ELPA" $ranks run "$dir/elpa.yaml" \
            --out "$dir/refused" --set spectrum.solver=elpa1
    done
    [ ! -e "$dir/refused/summary.yaml" ] || fail "the refused job wrote results"
    ntk 2 run "$job" --quiet --out "$dir/auto" || fail "auto without ELPA"
    ntk 2 run "$job" --quiet --out "$dir/lapack" --set spectrum.solver=lapack || fail "lapack"
    py "$NTK_TESTS_DIR/e2e/check_spectrum.py" "$dir/lapack" 45 3 || fail "lapack check"
    pass "elpa and elpa1 refused by name without ELPA; the rest works"
fi
