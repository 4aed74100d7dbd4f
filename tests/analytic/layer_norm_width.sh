# layer_norm's infinite-width map (docs/layers.md, "layer_norm at infinite
# width") against an independent Monte-Carlo: the empirical trace NTK of
# wide networks with the same description, LayerNorm before a dense layer
# (pre-norm) and after one (post-norm, before the output layer), with
# gamma and beta at their initial 1 and 0 and their NTK terms included. For
# each network and each of two seeds, ||Theta_emp - Theta_inf|| /
# ||Theta_inf|| at width 4096 is below 0.5x the one at width 128
# (1/sqrt(width) predicts 0.18), and below 0.1; the same on images (mean
# over the seeds, 64 vs 1024 channels), layer_norm over the channels of a
# conv layer's positions. Then the maps the kernel
# has none for are refused naming the layer: batch_norm, and layer_norm
# right before an activation.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch layer_norm_width)
py -c "
import numpy as np
np.save('$dir/x.npy', np.random.default_rng(11).standard_normal((12, 6)))
" || fail "writing inputs"
network() { # name layers
    cat > "$dir/$1.yaml" <<YAML
data: {inputs: x.npy}
model:
  layers: $2
  parameterization: ntk
  w_std: 1.5
  b_std: 0.2
kernel: {outputs: trace}
grid: {block: 4}
spectrum: {solver: pdsyevr, vectors: false}
output: {dir: out, plot: false, eigenvectors: false, theta: true}
YAML
}
network pre "[{dense: 128}, layer_norm, {dense: 128}, relu, {dense: 2}]"
network post "[{dense: 128}, relu, {dense: 128}, layer_norm, {dense: 2}]"
for net in pre post; do
    ntk serial run "$dir/$net.yaml" --quiet --out "$dir/$net-analytic" --set kernel.kind=analytic \
        || fail "analytic run, $net"
    for seed in 0 1; do
        for width in 128 4096; do
            ntk serial run "$dir/$net.yaml" --quiet --out "$dir/$net-w$width-s$seed" \
                --set model.seed=$seed --set "model.layers[0].dense=$width" \
                --set "model.layers[2].dense=$width" || fail "empirical run, $net, width $width"
        done
    done
done
py - "$dir" pre post <<'PY' || fail "width convergence"
import sys
import numpy as np
folder, failures = sys.argv[1], []
for net in sys.argv[2:]:
    analytic = np.load(f"{folder}/{net}-analytic/theta.npy")
    for seed in (0, 1):
        d = [np.linalg.norm(np.load(f"{folder}/{net}-w{w}-s{seed}/theta.npy") - analytic)
             / np.linalg.norm(analytic) for w in (128, 4096)]
        print(f"{net}-norm seed {seed}: width 128 {d[0]:.4f}, width 4096 {d[1]:.4f} (ratio {d[1] / d[0]:.3f})")
        if not (d[1] < 0.5 * d[0] and d[1] < 0.1):
            failures.append(f"{net}-norm seed {seed}: no 1/sqrt(width) convergence")
print("\n".join(failures))
sys.exit(1 if failures else 0)
PY
pass "empirical NTK with layer_norm converges to the analytic kernel"

# On images: layer_norm over the channels of every position of a conv layer
# (the spatial map, per-position variances), pooled before the output: the
# mean distance over the two seeds at 1024 channels is below 0.5x the one
# at 64 (1/sqrt(16) predicts 0.25), and below 0.1.
py -c "
import numpy as np
np.save('$dir/images.npy', np.random.default_rng(5).standard_normal((8, 4, 4, 2)))
" || fail "writing images"
network conv "[{conv: {channels: 64, kernel: 3}}, layer_norm, {conv: {channels: 64, kernel: 3}}, relu, {avg_pool: 2}, flatten, {dense: 2}]"
sed -i 's/inputs: x.npy/inputs: images.npy/' "$dir/conv.yaml"
ntk serial run "$dir/conv.yaml" --quiet --out "$dir/conv-analytic" --set kernel.kind=analytic \
    || fail "analytic run, conv"
for seed in 0 1; do
    for width in 64 1024; do
        ntk serial run "$dir/conv.yaml" --quiet --out "$dir/conv-w$width-s$seed" --set model.seed=$seed \
            --set "model.layers[0].conv.channels=$width" --set "model.layers[2].conv.channels=$width" \
            || fail "empirical run, conv, width $width"
    done
done
py - "$dir" <<'PY' || fail "width convergence, conv"
import sys
import numpy as np
folder = sys.argv[1]
analytic = np.load(f"{folder}/conv-analytic/theta.npy")
d = [np.mean([np.linalg.norm(np.load(f"{folder}/conv-w{w}-s{seed}/theta.npy") - analytic)
              / np.linalg.norm(analytic) for seed in (0, 1)]) for w in (64, 1024)]
print(f"conv layer_norm: 64 channels {d[0]:.4f}, 1024 channels {d[1]:.4f} (ratio {d[1] / d[0]:.3f})")
sys.exit(0 if d[1] < 0.5 * d[0] and d[1] < 0.1 else 1)
PY
pass "conv net with layer_norm over channels converges to the analytic (spatial) kernel"

cd "$dir"
network batch "[{dense: 16}, batch_norm, relu, {dense: 2}]"
expect_error 3 "kernel.kind: model.layers\[1\] is a batch_norm layer, which has no infinite-width \(analytic\) kernel" \
    serial run batch.yaml --set kernel.kind=analytic
network before "[{dense: 16}, layer_norm, relu, {dense: 2}]"
expect_error 3 "before.yaml:3:25: model.layers\[1\].layer_norm: the analytic \(infinite-width\) kernel: layer_norm followed by relu has no exact infinite-width map" \
    serial run before.yaml --set kernel.kind=analytic
network raw "[{dense: 16}, relu, layer_norm, {dense: 2}]"
expect_error 3 "raw.yaml:3:31: model.layers\[2\].layer_norm: the analytic \(infinite-width\) kernel: layer_norm of values that are not Gaussian" \
    serial run raw.yaml --set kernel.kind=analytic
# At the end of a residual body the layer reading layer_norm's output is past
# the join (here relu): refused, as is one right before a block.
network body_end "[{dense: 16}, {residual: {body: [{dense: 16}, layer_norm]}}, relu, {dense: 2}]"
expect_error 3 "model.layers\[1\].residual.body\[1\].layer_norm: the analytic \(infinite-width\) kernel: layer_norm right before the end of a branch of a block" \
    serial run body_end.yaml --set kernel.kind=analytic
network before_block "[{dense: 16}, layer_norm, {residual: {body: [{dense: 16}]}}, {dense: 2}]"
expect_error 3 "model.layers\[1\].layer_norm: the analytic \(infinite-width\) kernel: layer_norm right before the start of a block" \
    serial run before_block.yaml --set kernel.kind=analytic
pass "batch_norm, layer_norm before an activation, after one, and next to a block's join or fork: analytic refused naming the layer"
