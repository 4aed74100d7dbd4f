# What the diagnostics cannot run on is refused by validate and by run
# before anything is written, with one line naming FILE:LINE:COL and the
# key: the alignment or a learning curve without targets, a training set
# size n larger than N (known at load for synthetic inputs, once the data
# file's shape is read otherwise), a learning curve without every
# eigenpair's vector, on a full kernel or without an assembled Theta.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch diagnostics-refusals)
cd "$dir"
py "$NTK_TESTS_DIR/diagnostics/make_data.py" 30 3 1 . || fail "making the data"

write_job() { # write_job NAME DATA_LINES DIAGNOSTICS_LINES [EXTRA_LINES]
    printf 'name: %s\ndata:\n%b\nmodel:\n  layers: [{dense: 16}, relu, {dense: 1}]\n%b\ndiagnostics:\n%b\n' \
        "$1" "$2" "${4:-}" "$3" > "$1.yaml"
}
# refused NAME REGEX [RANKS...]: validate and run (on one process, and on
# RANKS) refuse with exit 3, and run leaves no output folder
refused() {
    local name=$1 regex=$2
    shift 2
    for ranks in serial "$@"; do
        expect_error 3 "$regex" $ranks validate "$name.yaml"
        expect_error 3 "$regex" $ranks run "$name.yaml" --out "out-$name"
        [ -e "out-$name" ] && fail "$name: run wrote out-$name before refusing"
    done
    return 0
}
synthetic='  inputs: {synthetic: gaussian, n: 30, dim: 3, seed: 1}'
files='  inputs: inputs.npy\n  targets: targets.npy'

write_job no_targets "$synthetic" '  alignment: true'
refused no_targets '^ntkgram: error: no_targets\.yaml:8:14: diagnostics\.alignment: needs data\.targets' 2
write_job curve_no_targets "$synthetic" '  learning_curve: [5, 10]'
refused curve_no_targets 'curve_no_targets\.yaml:8:19: diagnostics\.learning_curve: needs data\.targets'
write_job too_large "$files" '  learning_curve: [5, 31, 30]'
refused too_large 'too_large\.yaml:9:23: diagnostics\.learning_curve\[1\]: 31 is more than the N = 30 inputs' 2 3
write_job too_large_synthetic "  inputs: {synthetic: gaussian, n: 30, dim: 3, seed: 1}\n  targets: targets.npy" \
    '  learning_curve: [40]'
refused too_large_synthetic 'too_large_synthetic\.yaml:9:20: diagnostics\.learning_curve\[0\]: 40 is more than the N = 30'
write_job zero "$files" '  learning_curve: [0]'
refused zero 'zero\.yaml:9:20: diagnostics\.learning_curve\[0\]: .*integer >= 1'
write_job values_only "$files" '  learning_curve: [5]' 'spectrum: {vectors: false}'
refused values_only 'values_only\.yaml:9:19: diagnostics\.learning_curve: needs the eigenpairs with their eigenvectors .* spectrum\.vectors is false'
write_job no_solver "$files" '  learning_curve: [5]' 'spectrum: {solver: none}'
refused no_solver 'no_solver\.yaml:9:19: diagnostics\.learning_curve: .* spectrum\.solver is none'
write_job full "$files" '  learning_curve: [5]' 'kernel: {outputs: full}'
refused full 'full\.yaml:9:19: diagnostics\.learning_curve: needs kernel\.outputs trace'
write_job matrix_free "$files" '  alignment: true' 'spectrum: {solver: matrix_free, top: 3}'
refused matrix_free 'matrix_free\.yaml:9:14: diagnostics\.alignment: needs the assembled Theta'
write_job bad_key "$files" '  alignmnet: true'
refused bad_key 'bad_key\.yaml:9:3: diagnostics.*alignmnet'
pass "refusals at validate and run, nothing written"

# Known only once Theta is assembled: a Theta_SS that is not positive
# definite (2 hidden units: rank far below n) without a ridge
write_job singular "$files" '  learning_curve: [25]'
sed -i 's/{dense: 16}/{dense: 2}/' singular.yaml
expect_error 8 "singular\.yaml:9:19: diagnostics\.learning_curve: Theta on a training subset of n = 25 inputs is not positive definite .*learning_curve_ridge > 0" \
    2 run singular.yaml --out singular
log=$(ntk 2 run singular.yaml --out singular --set diagnostics.learning_curve_ridge=0.01 2>&1) \
    || fail "with a ridge: $log"
pass "a singular Theta_SS refused (exit 8), runs with a ridge"
