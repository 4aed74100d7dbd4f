# The empirical trace NTK of wide ReLU networks approaches the analytic
# (infinite-width) kernel: ||Theta_emp - Theta_inf|| / ||Theta_inf|| at width
# 4096 is well below the one at width 256 for each of 3 seeds (one hidden
# layer, so each run takes about a second). Also checks the analytic
# theta.npy and nngp.npy, one and two hidden layers, computed on 2 ranks,
# against a numpy arc-cosine recursion. Inputs come from a numpy file so the
# reference sees exactly the same points.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch width_convergence)
w_std=1.4142135623730951 b_std=0.1 widths="256 4096" seeds="0 1 2"

py -c "
import numpy as np
np.save('$dir/x.npy', np.random.default_rng(5).standard_normal((24, 8)))
" || fail "writing inputs"

# Two outputs, so the trace kernel's mean over logits is part of what is checked.
cat > "$dir/job.yaml" <<YAML
name: width-convergence-test
data: {inputs: x.npy}
model:
  layers: [{dense: 256}, relu, {dense: 2}]
  parameterization: ntk
  w_std: $w_std
  b_std: $b_std
kernel: {outputs: trace}
grid: {block: 4}
spectrum: {solver: pdsyevr, vectors: false}
output: {dir: out, plot: false, eigenvectors: false}
YAML

ntk 2 run "$dir/job.yaml" --quiet --out "$dir/analytic-h1" --set kernel.kind=analytic \
    --set kernel.nngp=true --set output.theta=true || fail "analytic run"
ntk 2 run "$dir/job.yaml" --quiet --out "$dir/analytic-h2" --set kernel.kind=analytic \
    --set kernel.nngp=true --set output.theta=true \
    --set "model.layers=[{dense: 64}, relu, {dense: 64}, relu, {dense: 2}]" \
    || fail "analytic run, two hidden layers"
for seed in $seeds; do
    for width in $widths; do
        ntk serial run "$dir/job.yaml" --quiet --out "$dir/w$width-s$seed" \
            --set kernel.kind=empirical --set model.seed=$seed --set output.theta=true \
            --set "model.layers[0].dense=$width" \
            || fail "empirical run, width $width, seed $seed"
    done
done
py "$NTK_TESTS_DIR/analytic/width_convergence.py" "$dir" $w_std $b_std \
    "${widths// /,}" "${seeds// /,}" || fail "width convergence"
pass "empirical NTK converges to the analytic kernel with width"
