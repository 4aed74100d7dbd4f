# The analytic (infinite-width) NTK and NNGP kernels of conv nets equal an
# independent per-pair numpy recursion over all pairs of positions
# (cntk_reference.py) to 1e-12, for 1-d and 2-d nets covering every padding,
# stride 2, avg_pool, global_avg_pool, flatten, relu, erf and identity, with
# and without bias (cases in cntk_cases.py), on 2 ranks; and plan states the
# form each layer's state takes (all pairs below a pooling layer, matching
# positions below a flatten).
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch analytic-conv-reference)
cd "$dir"
py "$NTK_TESTS_DIR/analytic/cntk_cases.py" . write > cases.txt || fail "writing the cases"
for name in $(cat cases.txt); do
    ntk 2 run "$name.yaml" --quiet || fail "analytic run $name"
done
py "$NTK_TESTS_DIR/analytic/cntk_cases.py" . check || fail "analytic conv kernels vs numpy"

ntk serial plan pool_then_flatten_relu.yaml > plan.txt || fail "plan"
for line in "model.layers\[0\] conv: all pairs of 30 input positions" \
            "model.layers\[2\] avg_pool: all pairs of 12 input positions" \
            "model.layers\[3\] flatten: matching positions of 9 input positions" \
            "model.layers\[4\] dense: matching positions of 9 input positions"; do
    grep -q "$line" plan.txt || fail "plan does not say '$line': $(cat plan.txt)"
done
ntk serial plan same_relu_flatten.yaml > plan.txt || fail "plan"
grep -q "model.layers\[0\] conv: matching positions of 30 input positions" plan.txt \
    || fail "a net ending in flatten without pooling should carry matching positions only: $(cat plan.txt)"
ntk serial plan same_relu_flatten.yaml --format yaml > plan.yaml || fail "plan --format yaml"
py -c "
import yaml, sys
plan = yaml.safe_load(open('plan.yaml'))
forms = [layer['form'] for layer in plan['analytic_layers']]
assert forms == ['diagonal'] * 8, forms
assert plan['analytic_pair_flops'] > 0
" || fail "plan --format yaml analytic_layers"
pass "analytic conv kernels equal the numpy per-pair recursion; plan names each layer's form"
