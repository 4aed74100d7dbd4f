# Stationarity: with circular padding and global_avg_pool, shifting both
# inputs periodically (np.roll along H and W) leaves the empirical Theta
# unchanged to 1e-12 for every width and seed (structured and jacobian, 1 and
# 2 ranks); with same padding and flatten it changes (by more than 1e-3).
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch conv-stationarity)
cd "$dir"
py -c "
import numpy as np
x = np.random.default_rng(5).standard_normal((7, 6, 5, 2))
np.save('x.npy', x)
np.save('shifted.npy', np.roll(x, (2, 3), axis=(1, 2)))
" || fail "writing inputs"
cat > job.yaml <<'JOB'
data: {inputs: x.npy}
model:
  layers: [{conv: {channels: 4, kernel: 3, padding: circular}}, relu,
           {conv: {channels: 5, kernel: [2, 3], padding: circular}}, tanh, global_avg_pool, {dense: 2}]
  b_std: 0.3
spectrum: {solver: none}
output: {theta: true, plot: false}
sweep:
  model.layers[0].conv.channels: [3, 24]
  model.seed: [0, 1]
JOB
same='model.layers=[{conv: {channels: 4, kernel: 3}}, relu, {conv: {channels: 5, kernel: [2, 3]}}, tanh, flatten, {dense: 2}]'
for setup in "1 structured trace" "2 jacobian full" "2 structured full"; do
    set -- $setup
    for data in x shifted; do
        ntk "$1" run job.yaml --quiet --out "circ-$data-$2-$3" --set data.inputs=$data.npy \
            --set kernel.method=$2 --set kernel.outputs=$3 || fail "circular run $data $setup"
        ntk "$1" run job.yaml --quiet --out "same-$data-$2-$3" --set data.inputs=$data.npy \
            --set kernel.method=$2 --set kernel.outputs=$3 --set "$same" || fail "same run $data $setup"
    done
    for point in model.layers_0_.conv.channels=3,model.seed=0 model.layers_0_.conv.channels=3,model.seed=1 \
                 model.layers_0_.conv.channels=24,model.seed=0 model.layers_0_.conv.channels=24,model.seed=1; do
        compare_npy "circ-x-$2-$3/$point/theta.npy" "circ-shifted-$2-$3/$point/theta.npy" 1e-12 \
            || fail "circular padding + global_avg_pool: Theta changed under a shift ($point, $setup)"
        ! compare_npy "same-x-$2-$3/$point/theta.npy" "same-shifted-$2-$3/$point/theta.npy" 1e-3 \
            || fail "same padding + flatten: Theta did not change under a shift ($point, $setup)"
    done
done
pass "shift-invariant Theta with circular padding + global_avg_pool; not with same + flatten"
