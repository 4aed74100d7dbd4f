# The byte layout of model.weights files, checked as the reference loader
# (huggingface safetensors) checks it: data_offsets that overlap (a bias read
# from inside a weight's bytes), leave gaps or a tail, or run past the end,
# and anything but JSON whitespace after the header's object (text, NUL
# padding) are refused by validate and run with one error naming the file
# and tensor, on 1-3 ranks; whitespace padding is accepted; a directory is
# named as one; 100,000 tensors are refused quickly (no quadratic lookups).
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch weights-layouts)
cd "$dir"
py "$NTK_TESTS_DIR/weights/make_layouts.py" "$dir" || fail "writing the safetensors files"

job() {  # job NAME WEIGHTS
    cat > "$dir/$1.yaml" <<JOB
data: {inputs: {synthetic: gaussian, n: 6, dim: 3, seed: 1}}
model:
  layers: [{dense: 5}, relu, {dense: 2}]
  parameterization: standard
  b_std: 0.1
  weights: $2
spectrum: {solver: none}
output: {dir: out-$1, theta: true, plot: false, eigenvectors: false}
JOB
    echo "$dir/$1.yaml"
}

log=$(ntk 2 run "$(job newlines layout_ok_newlines.safetensors)" 2>&1) || fail "newline padding: $log"
pass "a header padded with JSON whitespace loads"

for ranks in serial 2 3; do
    for command in validate run; do
        expect_error 4 "layout_overlap.safetensors: tensor '0.bias': data_offsets \[80, 120\] overlap those of tensor '0.weight' \[0, 120\]" \
            $ranks $command "$(job overlap layout_overlap.safetensors)"
        [ -e out-overlap ] && fail "$command on $ranks ranks created output.dir for a refused file"
    done
    expect_error 4 "layout_gap.safetensors: tensor '0.bias': data_offsets \[128, 168\] leave a gap of 8 bytes" \
        $ranks validate "$(job gap layout_gap.safetensors)"
    expect_error 4 "layout_tail.safetensors: 8 bytes after the last tensor's data" \
        $ranks validate "$(job tail layout_tail.safetensors)"
    expect_error 4 "layout_out_of_range.safetensors: tensor '2.bias': data_offsets \[256, 272\] run past the end of the file" \
        $ranks validate "$(job range layout_out_of_range.safetensors)"
    expect_error 4 "layout_garbage.safetensors: the safetensors header has other characters after its JSON object" \
        $ranks validate "$(job garbage layout_garbage.safetensors)"
    expect_error 4 "layout_nul_padding.safetensors: the safetensors header has NUL bytes after its JSON object" \
        $ranks validate "$(job nul layout_nul_padding.safetensors)"
done
pass "overlapping, gapped, tailed and out-of-range data_offsets, trailing text and NUL padding are refused"

mkdir -p folder.safetensors
expect_error 4 "folder.safetensors: not a safetensors file \(it is a directory\)" \
    serial validate "$(job folder folder.safetensors)"
pass "a directory is named as one"

# CPU time, not wall time: the machine may be busy with other work.
[ -x /usr/bin/time ] || fail "/usr/bin/time not found: install the Debian package 'time'"
/usr/bin/time -o cpu.txt -f '%U %S' "$NTKGRAM" validate "$(job many layout_many.safetensors)" \
    > many.out 2>&1 && fail "100,000 tensors were accepted"
grep -Eq "layout_many.safetensors: tensor '[0-9]+.weight' is extra" many.out \
    || fail "100,000 tensors: $(cat many.out)"
seconds=$(awk '{print $1 + $2}' cpu.txt)
echo "100,000 tensors refused in $seconds s of CPU time"
awk -v s="$seconds" 'BEGIN {exit !(s < 5)}' || fail "100,000 tensors took $seconds s of CPU (quadratic lookup?)"
pass "100,000 tensors are refused in linear-logarithmic time"
