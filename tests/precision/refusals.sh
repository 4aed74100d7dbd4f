# kernel.precision other than float64 is refused, at validate and by run
# before anything is written (checked on one run: the check is the job
# reader's, shared by both), with one line naming FILE:LINE:COL of
# kernel.precision and what does not compute in that precision: no path
# falls back to float64 where less was asked for.
. "$NTK_TESTS_DIR/lib.sh"
dir=$(scratch precision-refusals)
cd "$dir"

flat='inputs: {synthetic: gaussian, n: 12, dim: 3, seed: 1}'
mlp='[{dense: 8}, relu, {dense: 1}]'
write_job() { # write_job NAME PRECISION [KERNEL_LINES] [EXTRA_LINES] [LAYERS] [DATA]
    printf 'name: %s\ndata: {%s}\nmodel:\n  layers: %s\nkernel:\n  precision: %s\n%b%b\n' \
        "$1" "${6:-$flat}" "${5:-$mlp}" "$2" "${3:-}" "${4:-}" > "$1.yaml"
}
# refused NAME REGEX: validate refuses with exit 3, naming 6:14 (the value
# of kernel.precision).
refused() {
    expect_error 3 "^ntkgram: error: $1\\.yaml:6:14: kernel\\.precision: $2" serial validate "$1.yaml"
}
# float32 beyond mixed's refusals: every pair or every eigenvalue on the
# assembly's grid (matrix_free, whose products are float64, stays refused),
# nothing that reads or keeps a float64 Theta
write_job float32_matrix_free float32 '' 'spectrum: {solver: matrix_free, top: 2}\n'
refused float32_matrix_free 'float32 is not supported with spectrum\.solver matrix_free \(its Jacobian products are float64\)'
expect_error 3 'float32_matrix_free\.yaml:6:14: kernel\.precision: float32' serial run float32_matrix_free.yaml --out out-float32
[ -e out-float32 ] && fail "run wrote out-float32 before refusing"
write_job float32_top float32 '' 'spectrum: {top: 3}\n'
refused float32_top 'float32 is not supported with spectrum\.top'
write_job float32_layout float32 '' 'spectrum: {block: 4}\n'
refused float32_layout 'float32 is not supported with spectrum\.grid or spectrum\.block'
write_job float32_diagnostics float32 '' 'diagnostics: {statistics: true}\n'
refused float32_diagnostics 'float32 is not supported with diagnostics'
write_job float32_checkpoint float32 '' 'checkpoint: {every: 60}\n'
refused float32_checkpoint 'float32 is not supported with checkpoint\.every'
write_job float32_compare float32 '  compare_analytic: true\n'
refused float32_compare 'float32 is not supported with kernel\.compare_analytic'
write_job float32_training float32 '' 'training: {steps: 2, learning_rate: 0.1}\n' '' "$flat, targets: {synthetic: sine, seed: 2}"
refused float32_training 'float32 is not supported with training'
write_job analytic mixed '  kind: analytic\n'
refused analytic 'mixed is not supported with kernel\.kind analytic \(the infinite-width kernel is computed in float64 only'
write_job jacobian mixed '  method: jacobian\n'
refused jacobian 'mixed is not supported with kernel\.method jacobian'
write_job full mixed '  outputs: full\n'
refused full 'mixed is not supported with kernel\.outputs full'
write_job matrix_free mixed '' 'spectrum: {solver: matrix_free, top: 2}\n'
refused matrix_free 'mixed is not supported with spectrum\.solver matrix_free'
write_job training mixed '' 'training: {steps: 2, learning_rate: 0.1}\n' '' "$flat, targets: {synthetic: sine, seed: 2}"
refused training 'mixed is not supported with training'
write_job held_out mixed '' 'output: {test_theta: true}\n' '' "$flat, test_inputs: {synthetic: gaussian, n: 4, dim: 3, seed: 3}"
refused held_out 'mixed is not supported with held-out inputs'
write_job sweep mixed '' 'sweep: {model.w_std: [1.0, 1.5]}\n'
refused sweep 'mixed is not supported with a sweep'
write_job float32_cholesky float32 '' 'predict: {solver: cholesky}\n' '' "$flat, targets: {synthetic: sine, seed: 2}, test_inputs: {synthetic: gaussian, n: 4, dim: 3, seed: 3}"
refused float32_cholesky 'float32 is not supported with predict\.solver cholesky or cg'
write_job float32_test_theta float32 '' 'output: {test_theta: true}\n' '' "$flat, test_inputs: {synthetic: gaussian, n: 4, dim: 3, seed: 3}"
refused float32_test_theta 'float32 is not supported with output\.test_theta'
pass "every unsupported path refuses kernel.precision, naming its place"
