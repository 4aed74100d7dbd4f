# `validate` refuses exactly the jobs `run` refuses before computing: same
# exit code, same error line, on 1 and 2 ranks; and what run accepts,
# validate accepts. Jobs: memory too large, training without targets,
# training without a solver, spectrum.top > M (synthetic, and a data file
# whose shape is known only when read), grid.shape against the ranks, and a
# grid.block larger than the matrix (accepted by both: it is clamped).
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch run_validate)
cd "$dir"
py - <<'PY' || fail "making data"
import numpy as np
np.save("x20.npy", np.random.default_rng(0).standard_normal((20, 3)))
np.save("y20.npy", np.random.default_rng(1).standard_normal((20, 1)))
PY
model='model: {layers: [{dense: 8}, relu, {dense: 1}]}'
printf '%s\n' 'data: {inputs: {synthetic: gaussian, n: 3000000, dim: 4}}' "$model" > memory.yaml
printf '%s\n' 'data: {inputs: x20.npy}' "$model" 'training: {steps: 10}' > no_targets.yaml
printf '%s\n' 'data: {inputs: x20.npy, targets: y20.npy}' "$model" 'spectrum: {solver: none}' \
    'training: {steps: 10}' > no_solver.yaml
printf '%s\n' 'data: {inputs: {synthetic: gaussian, n: 20, dim: 3}}' "$model" \
    'spectrum: {top: 21}' > top_synthetic.yaml
printf '%s\n' 'data: {inputs: x20.npy}' "$model" 'spectrum: {top: 21}' > top_file.yaml
printf '%s\n' 'data: {inputs: x20.npy}' "$model" 'grid: {shape: [2, 2]}' > grid.yaml
printf '%s\n' 'data: {inputs: x20.npy}' "$model" 'grid: {block: 1048576}' \
    'spectrum: {vectors: false}' > big_block.yaml

# same_verdict RANKS CODE REGEX JOB [NUMBERS]: run and validate both exit
# CODE with the same single error line matching REGEX (NUMBERS=any: compared
# with numbers masked, for the memory line, since the free memory of the
# machine changes between the two runs), and run creates no output folder.
# One start of each command: expect_error keeps the error line it checked.
same_verdict() {
    local ranks=$1 code=$2 regex=$3 job=$4 numbers=${5:-same}
    local a b
    expect_error "$code" "$regex" "$ranks" validate "$job.yaml"
    a=$expected_error_line
    expect_error "$code" "$regex" "$ranks" run "$job.yaml" --out "out-$job"
    b=$expected_error_line
    if [ "$numbers" = any ]; then
        a=$(printf '%s' "$a" | sed -E 's/[0-9]+(\.[0-9]+)?/#/g')
        b=$(printf '%s' "$b" | sed -E 's/[0-9]+(\.[0-9]+)?/#/g')
    fi
    [ "$a" = "$b" ] || fail "$job on $ranks: validate says '$a', run says '$b'"
    [ ! -e "out-$job" ] || fail "$job: run refused the job but created out-$job"
}

for ranks in serial 2; do
    same_verdict $ranks 6 "job needs [0-9.]+ GiB per rank" memory any
    same_verdict $ranks 3 "no_targets\.yaml:[0-9]+:[0-9]+: training: needs data\.targets" no_targets
    same_verdict $ranks 3 "no_solver\.yaml:[0-9]+:[0-9]+: spectrum\.solver: is none, but training needs the spectrum" no_solver
    same_verdict $ranks 3 "top_synthetic\.yaml:[0-9]+:[0-9]+: spectrum\.top: 21 is more than the matrix size M = 20" top_synthetic
    same_verdict $ranks 3 "top_file\.yaml: spectrum\.top: 21 is more than the matrix size M = 20" top_file
    ntk $ranks validate big_block.yaml >/dev/null 2>&1 || fail "validate refused a block larger than M on $ranks"
    ntk $ranks run big_block.yaml --quiet --out "out-big-$ranks" || fail "run refused a block larger than M on $ranks"
done
same_verdict 2 7 "grid\.shape: \[2, 2\] needs 4 ranks, but the job runs on 2" grid
pass "validate and run agree on every job"
