# Inputs that used to be read wrongly or altered with exit 0 are now refused
# with the documented exit code and one line naming the file (and line:column
# where there is one), or honoured exactly:
#   - a missing or unreadable job file: exit 2 (command line), not 3
#   - --out with a control character: exit 2, not silently altered
#   - YAML core-schema tags: !!str 64 is text, !!int "64" is 64, others refused
#   - .npy headers with duplicate or unknown keys: exit 4
#   - a CSV whose first row is a mistyped number: exit 4, not a dropped header
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch io_refusals)
good="$NTK_TESTS_DIR/e2e/small.yaml"

# job NAME: write stdin to DIR/NAME.yaml, print the path.
job() { cat > "$dir/$1.yaml"; echo "$dir/$1.yaml"; }

# A header dict written verbatim, with float64 zeros for the data.
py - "$dir" <<'PY' || fail "writing the test files"
import os, sys
d = sys.argv[1]
def npy(name, dict_text, values):
    total = (10 + len(dict_text) + 1 + 63) // 64 * 64
    header = dict_text + " " * (total - 10 - len(dict_text) - 1) + "\n"
    with open(os.path.join(d, name), "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + (total - 10).to_bytes(2, "little") + header.encode())
        f.write(b"\x00" * (8 * values))
npy("dup.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (20, 4), 'shape': (10, 8), }", 80)
npy("sneaky.npy", "{'note': \"'descr': '>f8'\", 'descr': '<f8', 'fortran_order': False, 'shape': (20, 4), }", 80)
# 2^60 float32 elements claimed by a 128-byte file: refused on the file size.
npy("huge.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1152921504606846976, 1), }", 0)
with open(os.path.join(d, "typo.csv"), "w") as f:
    f.write("1.0.0,2,3,4\n" + "".join(f"{i},{i+1},{i+2},{i+3}\n" for i in range(19)))
PY

model='model: {layers: [{dense: 8}, relu, {dense: 1}]}'
dup=$(job data_dup <<EOF
data: {inputs: dup.npy}
$model
EOF
)
sneaky=$(job data_sneaky <<EOF
data: {inputs: sneaky.npy}
$model
EOF
)
huge=$(job data_huge <<EOF
data: {inputs: huge.npy}
$model
EOF
)
typo=$(job data_typo <<EOF
data: {inputs: typo.csv}
$model
EOF
)
str_tag=$(job str_tag <<'EOF'
name: tags
data: {inputs: {synthetic: gaussian, n: 20, dim: 3, seed: 1}}
model:
  layers: [{dense: 8}, relu, {dense: 1}]
  seed: !!str 7
EOF
)
good_tags=$(job good_tags <<'EOF'
name: !!str 2024
data: {inputs: {synthetic: gaussian, n: !!int "20", dim: 3, seed: 1}}
model: !!map
  layers: !!seq [{dense: 8}, relu, {dense: 1}]
  w_std: !!float "1.5"
output: {theta: !!bool "true"}
EOF
)
custom_tag=$(job custom_tag <<'EOF'
data: {inputs: {synthetic: gaussian, n: 20, dim: 3, seed: 1}}
model:
  layers: [{dense: 8}, relu, {dense: 1}]
  seed: !custom 7
EOF
)
bad_int=$(job bad_int <<'EOF'
data: {inputs: {synthetic: gaussian, n: !!int 2.5, dim: 3, seed: 1}}
model:
  layers: [{dense: 8}, relu, {dense: 1}]
EOF
)

for ranks in serial 2; do
    expect_error 2 "nowhere\.yaml: cannot read job file: No such file" $ranks run "$dir/nowhere.yaml"
    expect_error 2 "nowhere\.yaml: cannot read job file" $ranks validate "$dir/nowhere.yaml"
    expect_error 2 "cannot read job file: Is a directory" $ranks plan "$dir"
    expect_error 2 "--out: the directory name has a control character \(byte 0x0a at position 2\)" \
        $ranks run "$good" --out "x
y"
    expect_error 2 "--out: .*control character \(byte 0x09" $ranks run "$good" --out "a	b"

    expect_error 3 "str_tag\.yaml:5:9: model\.seed: .*'7'" $ranks validate "$str_tag"
    expect_error 3 "custom_tag\.yaml:4:9: model\.seed: unsupported YAML tag '!custom'" \
        $ranks validate "$custom_tag"
    expect_error 3 "bad_int\.yaml:1:[0-9]+: data\.inputs\.n: '2\.5' is not a valid !!int value" \
        $ranks validate "$bad_int"
    expect_error 3 "--set grid\.block: .*'64'" $ranks validate "$good" --set 'grid.block=!!str 64'
    expect_error 3 "--set grid\.block: unsupported YAML tag '!!binary'" $ranks validate "$good" \
        --set 'grid.block=!!binary aGk='

    expect_error 4 "dup\.npy: \.npy header has the key 'shape' twice" $ranks run "$dup" --out "$dir/o"
    expect_error 4 "sneaky\.npy: \.npy header has an unknown key 'note'" $ranks run "$sneaky" --out "$dir/o"
    expect_error 4 "huge\.npy: truncated \.npy file: expects 4611686018427387904 bytes of data, has 0" \
        $ranks run "$huge" --out "$dir/o"
    expect_error 4 "typo\.csv:1: field 1 is not a number \('1\.0\.0'\)" $ranks run "$typo" --out "$dir/o"
done
[ ! -e "x" ] && [ ! -e "x y" ] || fail "--out with a newline created a folder"
pass "missing job file exit 2, --out control characters, bad tags, bad .npy dicts, CSV typo"

# Tags that fit are honoured: the effective job shows the tagged values.
ntk 2 run "$good_tags" --out "$dir/tags" --quiet || fail "a job with fitting core-schema tags"
py - "$dir/tags/summary.yaml" <<'PY' || fail "tagged values in summary.yaml"
import sys, yaml
job = yaml.safe_load(open(sys.argv[1]))["job"]
assert job["name"] == "2024", job["name"]
assert job["data"]["inputs"]["n"] == 20, job["data"]["inputs"]
assert job["model"]["w_std"] == 1.5, job["model"]["w_std"]
assert job["output"]["theta"] is True, job["output"]
PY
[ -s "$dir/tags/theta.npy" ] || fail "output.theta: !!bool \"true\" did not write theta.npy"
pass "core-schema tags honoured: !!str, !!int, !!float, !!bool, !!seq, !!map"
rm -rf "$dir"
