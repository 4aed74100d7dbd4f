# Sizes that do not fit (issue 7, defect 9): every size product of the layers
# is overflow-checked, so a width of 2^32 - 1 or 2^48, or a parameter count
# past 2^60, is one job error (exit 3) naming the layer's key and position in
# validate, plan and run, instead of a negative parameter count or a
# nonsense safetensors shape.
. "$NTK_TESTS_DIR/lib.sh"
dir=$(scratch model-sizes)
cd "$dir"

# job NAME LAYERS [DIM]: synthetic inputs of dimension DIM (default 3).
job() {
    cat > "$1.yaml" <<JOB
data:
  inputs: {synthetic: gaussian, n: 8, dim: ${3:-3}, seed: 1}
model:
  layers: $2
output: {dir: out-$1, params: true}
JOB
    echo "$dir/$1.yaml"
}

wide=$(job wide "[{dense: 4294967295}, relu, {dense: 1}]")
huge=$(job huge "[{dense: 4}, tanh, {dense: 281474976710656}]")
deep=$(job deep "[{dense: 2000000000}, relu, {dense: 2000000000}, relu, {dense: 1}]")
fan_in=$(job fan_in "[{dense: 2147483647}, relu, {dense: 1}]" 2147483647)
for command in validate plan run; do
    expect_error 3 "wide\.yaml:4:20: model\.layers\[0\]\.dense: width 4294967295 is too large: BLAS dimensions are at most 2147483647" \
        serial $command "$wide"
    expect_error 3 "huge\.yaml:4:38: model\.layers\[2\]\.dense: width 281474976710656 is too large" \
        serial $command "$huge"
    expect_error 3 "deep\.yaml:4:47: model\.layers\[2\]\.dense: the parameter count reaches more than 1152921504606846975" \
        serial $command "$deep"
    expect_error 3 "fan_in\.yaml:4:20: model\.layers\[0\]\.dense: the parameter count reaches more than" \
        serial $command "$fan_in"
done
[ ! -e out-huge/params.safetensors ] || fail "a params file was written for width 2^48"
pass "widths 2^32 - 1 and 2^48 and parameter counts past 2^60 are refused by validate, plan and run"

small=$(job small "[{dense: 4}, relu, {dense: 1}]")
expect_error 3 "--set model\.layers\[0\]\.dense: width 281474976710656 is too large" \
    serial plan "$small" --set 'model.layers[0].dense=281474976710656'
expect_error 3 "--set model\.layers: model\.layers\[2\]\.dense: width 4294967295 is too large" \
    2 run "$small" --set 'model.layers=[{dense: 4}, relu, {dense: 4294967295}]'
pass "sizes set by --set are refused naming the override"

# The largest sizes that fit still pass validation and plan (plan reports
# the parameter count exactly, no wrap-around).
log=$(ntk serial plan "$small" --set 'model.layers[0].dense=2147483647' --format yaml 2>&1) \
    || fail "plan of a 2^31 - 1 wide layer: $log"
printf '%s\n' "$log" | grep -q "^n_params: 8589934588$" || fail "parameter count: $log"
pass "a width of 2^31 - 1 plans with 4 x (2^31 - 1) = 8589934588 parameters"
