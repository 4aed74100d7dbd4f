# Every user mistake gives one clear error line and the documented exit code,
# on 1 and 2 ranks, and never hangs (expect_error times out after 120 s).
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch bad_inputs)
py "$NTK_TESTS_DIR/e2e/make_bad_data.py" "$dir" || fail "making bad data"

# job NAME < BODY: write a job file, print its path.
job() { cat > "$dir/$1.yaml"; echo "$dir/$1.yaml"; }
base_model='model: {layers: [{dense: 8}, relu, {dense: 1}]}'

good=$(job good <<EOF
data: {inputs: good.npy}
$base_model
output: {dir: out-good}
EOF
)
missing=$(job missing_inputs <<EOF
data: {inputs: nowhere.npy}
$base_model
EOF
)
syntax=$(job syntax <<EOF
data: {inputs: good.npy
model: [
EOF
)
unknown=$(job unknown_key <<EOF
data: {inputs: good.npy}
$base_model
spectrum: {solvr: pdsyevd}
EOF
)
width=$(job bad_width <<EOF
data: {inputs: good.npy}
model: {layers: [{dense: 8}, relu, {dense: 0}]}
EOF
)
wrongtype=$(job wrong_type <<EOF
data: {inputs: good.npy}
$base_model
grid: {block: many}
EOF
)
activation=$(job bad_activation <<EOF
data: {inputs: good.npy}
model: {layers: [{dense: 8}, rleu, {dense: 1}]}
EOF
)
for bad in five_d ints nan truncated; do
    job "data_$bad" >/dev/null <<EOF
data: {inputs: $bad.npy}
$base_model
EOF
done
short=$(job short_targets <<EOF
data: {inputs: good.npy, targets: targets_short.npy}
$base_model
EOF
)
ragged=$(job ragged <<EOF
data: {inputs: ragged.csv}
$base_model
EOF
)
huge=$(job huge <<EOF
data: {inputs: {synthetic: gaussian, n: 3000000, dim: 4}}
$base_model
EOF
)
touch "$dir/a-file"

for ranks in serial 2; do
    expect_error 2 "nowhere\.yaml: cannot read job file" $ranks run "$dir/nowhere.yaml"
    expect_error 3 "syntax\.yaml:[0-9]+:[0-9]+: YAML syntax error" $ranks run "$syntax"
    expect_error 3 "unknown_key\.yaml:3:[0-9]+: spectrum\.solvr: unknown key" $ranks run "$unknown"
    expect_error 3 "bad_width\.yaml:2:[0-9]+: model\.layers\[2\]" $ranks run "$width"
    expect_error 3 "wrong_type\.yaml:3:[0-9]+: grid\.block" $ranks run "$wrongtype"
    expect_error 3 "bad_activation\.yaml:2:[0-9]+: model\.layers\[1\].*rleu" $ranks run "$activation"
    expect_error 3 "--set model\.nonsense" $ranks run "$good" --set model.nonsense=1
    expect_error 2 "unknown option '--frobnicate'" $ranks run "$good" --frobnicate
    expect_error 4 "nowhere\.npy: cannot open" $ranks run "$missing"
    expect_error 4 "nowhere\.npy: cannot open" $ranks validate "$missing"
    expect_error 4 "five_d\.npy:.*(2-D|dimension|ndim|shape)" $ranks run "$dir/data_five_d.yaml"
    expect_error 4 "ints\.npy:.*(dtype|float)" $ranks run "$dir/data_ints.yaml"
    expect_error 4 "nan\.npy: row 13, column 2: value is not finite" $ranks run "$dir/data_nan.yaml"
    expect_error 4 "truncated\.npy: truncated" $ranks run "$dir/data_truncated.yaml"
    expect_error 4 "targets_short\.npy: targets have 19 rows but the inputs have 20" $ranks run "$short"
    expect_error 4 "ragged\.csv:3" $ranks run "$ragged"
    expect_error 6 "GiB" $ranks run "$huge"
    expect_error 5 "a-file" $ranks run "$good" --out "$dir/a-file/sub"
done
# A grid that does not match the number of ranks (MPI/grid class, exit 7).
expect_error 7 "grid\.shape: \[2, 2\] needs 4 ranks, but the job runs on 2" 2 run "$good" --set "grid.shape=[2,2]"
expect_error 7 "grid\.shape: \[1, 3\] needs 3 ranks, but the job runs on 1" serial run "$good" --set "grid.shape=[1,3]"
# Nothing is left under a final name by the failed runs.
[ ! -e "$dir/out-good/summary.yaml" ] || fail "a failed run left summary.yaml"
pass "bad inputs rejected with clear errors"
