# The analytic (infinite-width) kernel through blocks (analytic_reference.py):
# a residual ReLU MLP and a net with a dense shortcut and a parallel concat
# of unequal widths equal an independent numpy recursion to 1e-12 (Theta
# and NNGP, on 2 ranks); the empirical NTK of residual ReLU and GELU MLPs
# and of the mixed net converges to it as width grows (error at width 16 W
# below half the one at width W, mean over 2 seeds); blocks whose branches
# are correlated (an identity shortcut beside a body ending in an
# activation) and an activation right after a concat are refused.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch branches-analytic)
cd "$dir"
py -c "import numpy as np; np.save('x.npy', np.random.default_rng(5).standard_normal((16, 6)))" \
    || fail "writing inputs"
cat > job.yaml <<'JOB'
data: {inputs: x.npy}
model:
  layers: [{dense: 8}, {dense: 2}]
  w_std: 1.4142135623730951
  b_std: 0.1
kernel: {outputs: trace}
spectrum: {solver: none}
output: {dir: out, theta: true, plot: false}
JOB
layers() {  # layers NET WIDTH
    local w=$2 act=relu
    case $1 in
    residual-gelu) act=gelu ;&
    residual-relu) echo "[{dense: $w}, {residual: {body: [$act, {dense: $w}]}}, $act, {dense: 2}]" ;;
    mixed-relu) echo "[{dense: $w}, relu, {residual: {body: [{dense: $w}, relu, {dense: $w}], shortcut: [{dense: $w}]}}, {parallel: {branches: [[relu, {dense: $((2 * w))}], [{dense: $w}]], merge: concat}}, {dense: 2}]" ;;
    esac
}
: > nets
for net in residual-relu residual-gelu mixed-relu; do
    ntk 2 run job.yaml --quiet --out "analytic-$net" --set kernel.kind=analytic \
        --set kernel.nngp=true --set "model.layers=$(layers $net 8)" || fail "analytic run ($net)"
    widths="128,2048"
    for seed in 0 1; do
        for width in ${widths//,/ }; do
            ntk serial run job.yaml --quiet --out "$net-w$width-s$seed" --set model.seed=$seed \
                --set "model.layers=$(layers $net $width)" || fail "empirical run ($net, width $width)"
        done
    done
    echo "$net $widths 0,1" >> nets
done
py "$NTK_TESTS_DIR/branches/analytic_reference.py" "$dir" || fail "analytic kernel through blocks"
pass "analytic kernel through blocks: the numpy recursion, and the empirical NTK converges to it"

# Conv branches on all pairs of positions (global_avg_pool last): a concat of
# two equal conv branches has the state of either one (the channel shares'
# mean of two equal states), so the net equals the one with a single conv
# there, Theta and NNGP. The branches' window maps run while the block keeps
# its input in the work buffer beside their scratch.
conv_net() {  # conv_net MIDDLE
    printf 'data:\n  inputs: {synthetic: gaussian, n: 5, shape: [5, 5, 2], seed: 3}\nmodel:\n  layers: %s\n  b_std: 0.2\nkernel: {kind: analytic, nngp: true}\nspectrum: {solver: none}\noutput: {theta: true, plot: false}\n' \
        "[{conv: {channels: 4, kernel: 3}}, relu, $1, {conv: {channels: 4, kernel: 3}}, relu, global_avg_pool, {dense: 2}]"
}
conv_net '{parallel: {branches: [[{conv: {channels: 3, kernel: 3}}], [{conv: {channels: 3, kernel: 3}}]], merge: concat}}' > concat.yaml
conv_net '{conv: {channels: 6, kernel: 3}}' > single.yaml
ntk 2 run concat.yaml --quiet --out concat || fail "analytic conv concat"
ntk 2 run single.yaml --quiet --out single || fail "analytic conv single"
for file in theta.npy nngp.npy; do
    compare_npy "concat/$file" "single/$file" 1e-12 \
        || fail "conv concat of equal branches: $file differs from the single conv's"
done
pass "analytic conv kernel: a concat of two equal conv branches equals one conv (Theta, NNGP)"

expect_error 3 "model\.layers\[1\]\.residual: the analytic \(infinite-width\) kernel: a sum of branches of which 2 do not end in a layer with parameters" \
    serial validate job.yaml --set kernel.kind=analytic \
    --set 'model.layers=[{dense: 8}, {residual: {body: [relu, {dense: 8}, relu]}}, {dense: 2}]'
expect_error 3 "model\.layers\[1\]\.relu|model\.layers\[2\]: the analytic \(infinite-width\) kernel: relu of values that are not Gaussian" \
    serial validate job.yaml --set kernel.kind=analytic \
    --set 'model.layers=[{dense: 8}, {parallel: {branches: [[{dense: 4}], [{dense: 4}]], merge: concat}}, relu, {dense: 2}]'
printf 'data:\n  inputs: {synthetic: gaussian, n: 4, shape: [5, 5, 2]}\nmodel:\n  layers: %s\nkernel: {kind: analytic}\n' \
    '[{conv: {channels: 4, kernel: 3}}, {residual: {body: [{max_pool: 1}, {conv: {channels: 4, kernel: 3}}]}}, flatten, {dense: 2}]' > pool.yaml
expect_error 3 "pool\.yaml:[0-9]+:[0-9]+: kernel\.kind: model\.layers\[1\]\.residual\.body\[0\]\.max_pool is a max_pool layer, which has no infinite-width \(analytic\) kernel" \
    serial validate pool.yaml
pass "correlated branches, an activation after a concat, a layer without a map inside a block (by its nested path) refused for the analytic kernel"
