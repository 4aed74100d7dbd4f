# Which parameters a weights file gives, the same in plan, validate and run:
#  - model.b_std > 0 (the job has biases) with a file that lacks them is
#    refused naming the missing tensor (it used to run as a bias-free net);
#    a file with biases on some layers runs, warning about the others;
#  - kernel.kind analytic (the infinite-width limit: no weights) with
#    model.weights is refused naming both keys (the file was ignored);
#  - biases in the file with b_std: 0 count as parameters in plan as in run
#    (plan used to count from b_std alone: 32 against 25 here).
# validate and run refuse before output.dir exists, on 1-3 ranks (2 in the
# sanitizer lane: catalogue_ranks, tests/lib.sh).
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch weights-bias-rules)
cd "$dir"
py "$NTK_TESTS_DIR/weights/make_layouts.py" "$dir" || fail "writing the safetensors files"

job() {  # job NAME WEIGHTS B_STD [KIND]
    cat > "$dir/$1.yaml" <<JOB
data: {inputs: {synthetic: gaussian, n: 6, dim: 3, seed: 1}}
model:
  layers: [{dense: 5}, relu, {dense: 2}]
  parameterization: ${5:-standard}
  b_std: $3
  weights: $2
kernel: {kind: ${4:-empirical}}
spectrum: {solver: none}
output: {dir: out-$1, theta: true, plot: false, eigenvectors: false}
JOB
    echo "$dir/$1.yaml"
}

for ranks in $(catalogue_ranks serial 2 3); do
    for command in plan validate run; do
        expect_error 4 "layout_nobias.safetensors: missing the bias of dense layer 1 \('0.bias', shape \[5\]\): model.b_std is 0.1" \
            $ranks $command "$(job nobias layout_nobias.safetensors 0.1)"
        expect_error 3 "nobias_analytic.yaml:2:1: model.weights: kernel.kind analytic is the infinite-width limit, which has no weights" \
            $ranks $command "$(job nobias_analytic layout_nobias.safetensors 0 analytic ntk)"
    done
    [ -e out-nobias ] || [ -e out-nobias_analytic ] && fail "a refused job created its output.dir"
done
log=$(ntk 2 run "$(job nobias_ok layout_nobias.safetensors 0)" 2>&1) || fail "a bias-free file with b_std 0: $log"
log=$(ntk 2 run "$(job partial layout_partial_bias.safetensors 0.1)" 2>&1) || fail "partial biases: $log"
printf '%s\n' "$log" | grep -q "warning: .*layout_partial_bias.safetensors: dense layer 2 has no bias ('2.bias', shape \[2\]) although model.b_std is 0.1" \
    || fail "no warning for a layer without its bias: $log"
[ "$(printf '%s\n' "$log" | grep -c 'has no bias')" = 1 ] || fail "the warning is not said once: $log"
pass "missing biases with b_std > 0 and weights with the analytic kernel are refused before output.dir"

# Biases in the file, b_std 0: 5*3 + 5 + 2*5 + 2 = 32 parameters everywhere.
planned=$("$NTKGRAM" plan "$(job counted layout_ok_newlines.safetensors 0)" --format yaml |
          awk '$1 == "n_params:" {print $2}')
validated=$("$NTKGRAM" validate "$dir/counted.yaml" | sed -n 's/.*, \([0-9]*\) parameters,.*/\1/p')
log=$(ntk 2 run "$dir/counted.yaml" 2>&1) || fail "counted run: $log"
ran=$(printf '%s\n' "$log" | sed -n 's/.* \([0-9]*\) parameters (.*/\1/p')
echo "parameters: plan $planned, validate $validated, run $ran"
[ "$planned" = 32 ] && [ "$validated" = 32 ] && [ "$ran" = 32 ] \
    || fail "plan, validate and run count the parameters differently: $planned, $validated, $ran"
pass "plan, validate and run count a weights file's biases alike"
