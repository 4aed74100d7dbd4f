# Residual and parallel blocks at load (model/branch.h): shape mismatches
# refused with both shapes and the block's file:line:col, on 1 and 2 ranks,
# by validate, plan and run, nothing written; a concat of other spatial
# sizes, an empty body, a lone branch, an unknown merge refused; a shape
# error inside a block named by its nested path; --set reaches into a
# block; plan counts the branch buffers (a residual adds exactly its fork,
# next and join buffers); the echo writes the blocks back nested.
. "$NTK_TESTS_DIR/lib.sh"
dir=$(scratch branches-load)
cd "$dir"

cat > resnet.yaml <<'JOB'
data:
  inputs: {synthetic: gaussian, n: 5, shape: [8, 8, 3], seed: 3}
model:
  layers:
    - {conv: {channels: 4, kernel: 3}}
    - relu
    - residual:
        body: [{conv: {channels: 8, kernel: 3, stride: 2, padding: 1}}, relu, {conv: {channels: 8, kernel: 3}}]
        shortcut: [{conv: {channels: 8, kernel: 1, stride: 1, padding: valid, bias: false}}]
    - flatten
    - {dense: 2}
output: {dir: out-resnet}
JOB
for ranks_command in serial/validate serial/plan serial/run 2/run; do
    IFS=/ read -r ranks command <<<"$ranks_command"
    {
        expect_error 3 "resnet\.yaml:7:7: model\.layers\[2\]\.residual: the body gives \(4, 4, 8\) but the shortcut gives \(8, 8, 8\): body\(x\) \+ shortcut\(x\) needs the same shape" \
            "$ranks" "$command" resnet.yaml
    }
done
[ ! -e out-resnet ] || fail "a refused job wrote out-resnet"
ntk serial validate resnet.yaml --set 'model.layers[2].residual.shortcut[0].conv.stride=2' >/dev/null \
    || fail "the stride-2 shortcut (set into the block) is not accepted"
ntk serial plan resnet.yaml --set 'model.layers[2].residual.shortcut[0].conv.stride=2' \
    | grep -q '^  conv      model\.layers\[2\]\.residual\.shortcut\[0\]\.conv: jacobian block' \
    || fail "plan does not name the shortcut's conv by its nested path"
pass "residual shape mismatch: both shapes and the block's place, nothing written; --set reaches into the block; plan names layers by their nested paths"

cat > concat.yaml <<'JOB'
data:
  inputs: {synthetic: gaussian, n: 5, shape: [8, 8, 3], seed: 3}
model:
  layers: [{conv: {channels: 4, kernel: 3}}, {parallel: {branches: [[{conv: {channels: 2, kernel: 3, stride: 2, padding: 1}}], [{conv: {channels: 3, kernel: 3}}]], merge: concat}}, flatten, {dense: 2}]
JOB
expect_error 3 "concat\.yaml:4:46: model\.layers\[1\]\.parallel: branch 1 gives \(4, 4, 2\) but branch 2 gives \(8, 8, 3\): merge concat joins along the last axis \(channels\), every other size must agree" \
    2 validate concat.yaml
expect_error 3 "model\.layers\[1\]\.parallel: branch 1 gives \(8, 8, 2\) but branch 2 gives \(8, 8, 3\): merge sum needs the same shape" \
    serial validate concat.yaml --set 'model.layers[1].parallel.merge=sum' \
    --set 'model.layers[1].parallel.branches[0][0].conv.stride=1'
ntk serial validate concat.yaml --set 'model.layers[1].parallel.branches[0][0].conv.stride=1' >/dev/null \
    || fail "a concat of equal spatial sizes is refused"
expect_error 3 "^ntkgram: error: --set model\.layers\[1\]\.parallel\.branches\[1\]\[0\]\.conv\.channels: channels must be" \
    serial validate concat.yaml --set 'model.layers[1].parallel.branches[1][0].conv.channels=0'
printf 'data:\n  inputs: {synthetic: gaussian, n: 5, dim: 3}\nmodel:\n  layers: [{dense: 4}, %s, {dense: 1}]\n' \
    '{residual: {body: [relu, {dense: 4611686018427387904}, {dense: 4}]}}' > big.yaml
expect_error 3 "big\.yaml:4:57: model\.layers\[1\]\.residual\.body\[1\]\.dense: width 4611686018427387904 is too large" \
    serial validate big.yaml
pass "concat of other spatial sizes refused; a layer inside a block named by its nested path"

printf 'data:\n  inputs: {synthetic: gaussian, n: 5, dim: 3}\nmodel:\n  layers: [{dense: 4}, %s, {dense: 1}]\n' \
    '{residual: {body: []}}' > empty.yaml
expect_error 3 "empty\.yaml:4:42: model\.layers\[1\]\.residual\.body: must be a non-empty list of layers" \
    serial validate empty.yaml
sed 's/{residual: {body: \[\]}}/{residual: {shortcut: [{dense: 4}]}}/' empty.yaml > nobody.yaml
expect_error 3 "model\.layers\[1\]\.residual: missing required key 'body'" serial validate nobody.yaml
sed 's/{residual: {body: \[\]}}/{parallel: {branches: [[{dense: 4}]], merge: sum}}/' empty.yaml > lone.yaml
expect_error 3 "model\.layers\[1\]\.parallel\.branches: must be a list of 2 to 16 lists of layers, got fewer than two" \
    serial validate lone.yaml
sed 's/{residual: {body: \[\]}}/{parallel: {branches: [[{dense: 4}], []], merge: max}}/' empty.yaml > merge.yaml
expect_error 3 "model\.layers\[1\]\.parallel\.merge: unknown merge 'max' \(expected sum, concat\)" \
    serial validate merge.yaml
sed 's/\[{dense: 4}, {residual: {body: \[\]}}, {dense: 1}\]/[{residual: {body: [{dense: 3}]}}, {dense: 1}]/' empty.yaml > first.yaml
expect_error 3 "model\.layers\[0\]\.residual: the first layer must be" serial validate first.yaml
sed 's/{dense: 1}\]/{residual: {body: [{dense: 4}]}}]/' empty.yaml | sed 's/{residual: {body: \[\]}}, //' > last.yaml
expect_error 3 "the last layer must be" serial validate last.yaml
pass "empty body, missing body, one branch, unknown merge, a block first or last: refused"

# plan: a residual adds its fork's copy of x, the next branch's copy and the
# join's sum (each out.size doubles) and their cotangents (k x in.size):
# 3 x (6 + 2 x 6) = 54 doubles per input, 7 inputs.
cat > flat.yaml <<'JOB'
data:
  inputs: {synthetic: gaussian, n: 7, dim: 5, seed: 3}
model:
  layers: [{dense: 6}, relu, {dense: 6}, {dense: 2}]
JOB
sed 's/relu, {dense: 6}, {dense: 2}/relu, {residual: {body: [{dense: 6}]}}, {dense: 2}/' flat.yaml > block.yaml
features() { ntk serial plan "$1" --format yaml | sed -n '/^memory_per_rank_bytes:/,/^[a-z]/p' | awk '/^  features:/ {print $2; exit}'; }
a=$(features flat.yaml); b=$(features block.yaml)
[ -n "$a" ] && [ -n "$b" ] || fail "plan printed no features memory"
[ $((b - a)) -eq $((7 * 54 * 8)) ] || fail "plan: the residual adds $((b - a)) bytes of features, expected $((7 * 54 * 8))"
pass "plan: the branch buffers counted ($a -> $b bytes)"

# The echo: blocks written back nested, identity shortcut left out.
cat > echo.yaml <<'JOB'
data:
  inputs: {synthetic: gaussian, n: 4, dim: 3, seed: 1}
model:
  layers:
    - {dense: 4}
    - relu
    - residual:
        body: [{dense: 4}, tanh, {residual: {body: [{dense: 4}], shortcut: []}}]
        shortcut: [{dense: {width: 4, bias: false}}]
    - parallel: {branches: [[{dense: 2}, relu], [], [{dense: 3}]], merge: concat}
    - {dense: 1}
output: {dir: out-echo, plot: false}
JOB
ntk serial run echo.yaml --quiet || fail "the block job does not run"
line=$(grep -m1 '^    layers:' out-echo/summary.yaml)
expected='    layers: [{dense: 4}, relu, {residual: {body: [{dense: 4}, tanh, {residual: {body: [{dense: 4}]}}], shortcut: [{dense: {width: 4, bias: false}}]}}, {parallel: {branches: [[{dense: 2}, relu], [], [{dense: 3}]], merge: concat}}, {dense: 1}]'
[ "$line" = "$expected" ] || fail "echo: $line"
pass "echo writes the blocks back nested"

# A weights file's refusals name a layer inside a block by its nested path
# (the flat list's index would name no layer the user wrote): a bias for the
# shortcut written with bias: false, and a missing weight.
ntk serial run echo.yaml --quiet --out out-params --set output.params=true \
    --set 'model.layers[2].residual.shortcut[0].dense.bias=true' --set model.b_std=0.1 \
    || fail "writing params with a shortcut bias"
expect_error 4 "tensor '[^']*' matches no parameter: dense layer 4 \(model\.layers\[2\]\.residual\.shortcut\[0\]\.dense\) is written with bias: false" \
    serial run echo.yaml --set model.weights=out-params/params.safetensors --set model.b_std=0.1
pass "weights refusals name a layer in a block by its nested path"
