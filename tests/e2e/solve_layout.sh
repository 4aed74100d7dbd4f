# spectrum.grid / spectrum.block (issue 12 item 3): the eigensolve on its own
# BLACS layout (Theta moved there, eigenvectors brought back) gives what the
# assembly's layout gives: eigenvalues to 1e-12 of the largest and
# eigenvectors up to sign (compare_layouts.py), and both match numpy.linalg.eigh
# of theta.npy (check_spectrum.py, check_eigenvalues_tight.py). pdsyevd,
# pdsyevr (top k and values only) and elpa1 (when built with ELPA) on 1, 2
# and 4 ranks, including a solve block larger than the matrix and top smaller
# than the block. Then the refusals and plan. Argument: 1 when built with ELPA.
. "$NTK_TESTS_DIR/lib.sh"
need_python
have_elpa=${1:-0}
dir=$(scratch solve_layout)
job="$NTK_TESTS_DIR/e2e/small.yaml"

# ranks solver  block top vectors grid  solve_grid solve_block
setups="1 pdsyevd 4 0 true auto assembly 16
1 pdsyevr 4 7 true auto assembly 64
2 pdsyevd 4 0 true auto [2,1] 8
2 pdsyevr 4 5 true auto [2,1] assembly
2 pdsyevr 8 0 false auto auto 100
2 elpa1 4 0 true auto [2,1] 8
4 pdsyevd 4 0 true auto [4,1] 64
4 pdsyevr 16 3 true 1x4 auto 4
4 elpa1 4 0 true 1x4 [2,2] 8
4 elpa1 16 6 true auto [4,1] 4"
runs=0
while read -r -u 3 ranks solver block top vectors shape solve_grid solve_block; do
    [ "$solver" = elpa1 ] && [ "$have_elpa" != 1 ] && continue
    tag="$ranks-$solver-$block-$top-$vectors-$shape-$solve_grid-$solve_block"
    common=(--set spectrum.solver="$solver" --set grid.block="$block" --set spectrum.top="$top"
            --set spectrum.vectors="$vectors")
    [ "$shape" != auto ] && common+=(--set "grid.shape=[${shape%x*}, ${shape#*x}]")
    ntk "$ranks" run "$job" --quiet --out "$dir/$tag-assembly" "${common[@]}" >/dev/null 2>&1 \
        || fail "run $tag on the assembly layout"
    log=$(ntk "$ranks" run "$job" --out "$dir/$tag" "${common[@]}" \
        --set "spectrum.grid=$solve_grid" --set spectrum.block="$solve_block" 2>&1) \
        || fail "run $tag: $log"
    printf '%s\n' "$log" | grep -q "Theta moved from the" || fail "$tag: Theta did not move: $log"
    # summary.yaml names the layout the solve ran on.
    expected='[0-9]+, [0-9]+'
    case $solve_grid in \[*) g=${solve_grid#[}; g=${g%]}; expected="${g%,*}, ${g#*,}" ;; esac
    grep -Eq "^  solve_grid: \[$expected\]$" "$dir/$tag/summary.yaml" \
        || fail "$tag: summary.yaml has no solve_grid"
    grep -q '^  redistribute_seconds: [0-9]' "$dir/$tag/summary.yaml" \
        || fail "$tag: summary.yaml has no redistribute_seconds"
    py "$NTK_TESTS_DIR/e2e/compare_layouts.py" "$dir/$tag-assembly" "$dir/$tag" \
        || fail "layouts differ: $tag"
    py "$NTK_TESTS_DIR/e2e/check_spectrum.py" "$dir/$tag" 45 3 >/dev/null || fail "numpy check $tag"
    py "$NTK_TESTS_DIR/e2e/check_eigenvalues_tight.py" "$dir/$tag" "$solver" . >/dev/null \
        || fail "tight check $tag"
    runs=$((runs + 1))
done 3<<<"$setups"

# The default (and `assembly`) moves nothing.
log=$(ntk 2 run "$job" --out "$dir/default" --set spectrum.solver=pdsyevd 2>&1) || fail "default: $log"
printf '%s\n' "$log" | grep -q "Theta moved" && fail "the default layout moved Theta"
grep -q '^  solve_grid: \[1, 2\]$' "$dir/default/summary.yaml" \
    || fail "default: summary.yaml solve_grid is not the assembly's 1 x 2"
grep -q '^  solve_block: 4$' "$dir/default/summary.yaml" \
    || fail "default: summary.yaml solve_block is not the assembly's"

# Refusals: exit 3, one line naming the place and the key.
cat >"$dir/bad_grid.yaml" <<YAML
$(cat "$job")
spectrum: {solver: pdsyevd, grid: [1, 3]}
YAML
for ranks in 1 2; do
    expect_error 3 'bad_grid.yaml:[0-9]+:[0-9]+: spectrum.grid: \[1, 3\] needs 3 ranks, but the job runs on' \
        "$ranks" run "$dir/bad_grid.yaml" --out "$dir/bad$ranks"
    expect_error 3 'spectrum.block: must be a positive integer, auto or assembly' "$ranks" \
        run "$job" --out "$dir/bad$ranks" --set spectrum.block=0
    expect_error 3 'spectrum.grid: must be assembly, auto or \[rows, cols\]' "$ranks" \
        run "$job" --out "$dir/bad$ranks" --set spectrum.grid=square
    expect_error 3 'spectrum.grid: applies only to the distributed solvers .* not to lapack' \
        "$ranks" run "$job" --out "$dir/bad$ranks" --set spectrum.solver=lapack \
        --set "spectrum.grid=[1, $ranks]"
done
expect_error 3 'spectrum.grid: \[2, 2\] has 4 ranks, but grid.shape \[1, 2\] has 2' 2 \
    run "$job" --out "$dir/bad" --set "grid.shape=[1, 2]" --set "spectrum.grid=[2, 2]"

# plan states the solve layout and counts the move.
planned=$(ntk serial plan "$job" --ranks 2 --format yaml --set spectrum.solver=pdsyevd \
    --set "spectrum.grid=[2, 1]" --set spectrum.block=8) || fail "plan: $planned"
printf '%s\n' "$planned" | grep -q '^solve_grid: \[2, 1\]$' || fail "plan solve_grid: $planned"
printf '%s\n' "$planned" | grep -q '^solve_block: 8$' || fail "plan solve_block: $planned"
printf '%s\n' "$planned" | grep -q '^solve_moved: true$' || fail "plan solve_moved: $planned"
printf '%s\n' "$planned" | grep -Eq '^  redistribute: [1-9][0-9]*$' || fail "plan redistribute: $planned"
planned=$(ntk serial plan "$job" --ranks 2 --format yaml) || fail "plan: $planned"
printf '%s\n' "$planned" | grep -q '^solve_moved: false$' || fail "default plan moved: $planned"
pass "$runs layouts match the assembly's and numpy; refusals and plan"
