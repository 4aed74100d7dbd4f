# Closed forms and invariances of the analytic (infinite-width) conv kernels:
# - a 1x1 conv, identity, flatten and dense on (H, W, C) images is the
#   two-layer linear kernel of the flattened inputs in closed form
#   (Sigma_2 = w^2 (w^2 <x, x'> / d + b^2) + b^2, Theta = Sigma_2 + w^2 Sigma_1),
#   and equals ntkgram's dense analytic kernel of the flattened inputs;
# - 1x1 convs on 1 x 1 x C images (one position) with relu and erf are the
#   dense network on the C-vectors (ntkgram's scalar recursion);
# - circular padding + global_avg_pool: Theta and the NNGP kernel are exactly
#   invariant under a shift of the images (to rounding, 1e-13); same padding
#   + flatten: they change (by more than 1e-3);
# - the same Theta, NNGP and cross kernels (test_theta.npy, test_nngp.npy)
#   on 1-4 ranks, several grids and blocks, trace and full, bit for bit (and
#   the eigenvalues and predictions to 1e-10: the eigensolver's rounding
#   depends on the grid).
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch analytic-conv-properties)
cd "$dir"
py -c "
import numpy as np
rng = np.random.default_rng(4)
x = rng.standard_normal((7, 5, 4, 2))
np.save('x.npy', x)
np.save('flat.npy', x.reshape(7, -1))
np.save('shifted.npy', np.roll(x, (2, 3), axis=(1, 2)))
c = rng.standard_normal((7, 1, 1, 3))
np.save('pixels.npy', c)
np.save('pixels_flat.npy', c.reshape(7, 3))
np.save('y.npy', rng.standard_normal((7, 2)))
np.save('test.npy', rng.standard_normal((4, 5, 4, 2)))
" || fail "writing inputs"
job() { # NAME INPUTS|{DATA} LAYERS [EXTRA]
    local data="{inputs: $2}"
    [ "${2:0:1}" = "{" ] && data=$2
    printf 'data: %s\nmodel:\n  layers: %s\n  w_std: 1.2\n  b_std: 0.3\nkernel: {kind: analytic, nngp: true}\nspectrum: {solver: none}\n%s\noutput: {dir: out-%s, theta: true, plot: false}\n' \
        "$data" "$3" "${4:-}" "$1" > "$1.yaml"
    echo "$1.yaml"
}
ntk 2 run "$(job linear_conv x.npy "[{conv: {channels: 3, kernel: 1}}, identity, flatten, {dense: 1}]")" --quiet \
    || fail "1x1 conv run"
ntk 2 run "$(job linear_dense flat.npy "[{dense: 3}, identity, {dense: 1}]")" --quiet || fail "dense run"
py -c "
import numpy as np
x = np.load('flat.npy')
w2, b2 = 1.2**2, 0.3**2
sigma_1 = w2 * (x @ x.T) / x.shape[1] + b2
sigma_2 = w2 * sigma_1 + b2
np.save('closed_theta.npy', sigma_2 + w2 * sigma_1)
np.save('closed_nngp.npy', sigma_2)
" || fail "closed form"
for kernel in theta nngp; do
    compare_npy closed_$kernel.npy out-linear_conv/$kernel.npy 1e-13 \
        || fail "1x1 conv + identity + flatten + dense: $kernel is not the linear closed form"
    compare_npy out-linear_dense/$kernel.npy out-linear_conv/$kernel.npy 1e-13 \
        || fail "1x1 conv + flatten + dense: $kernel differs from the dense kernel of the flattened inputs"
done

ntk 2 run "$(job pixel_conv pixels.npy "[{conv: {channels: 4, kernel: 1}}, relu, {conv: {channels: 4, kernel: 1}}, erf, flatten, {dense: 2}]")" \
    --quiet || fail "one-position conv run"
ntk 2 run "$(job pixel_dense pixels_flat.npy "[{dense: 4}, relu, {dense: 4}, erf, {dense: 2}]")" --quiet \
    || fail "dense run"
for kernel in theta nngp; do
    compare_npy out-pixel_dense/$kernel.npy out-pixel_conv/$kernel.npy 1e-13 \
        || fail "1x1 convs on one position: $kernel differs from the dense network's"
done

circular="[{conv: {channels: 3, kernel: 3, padding: circular}}, relu, {conv: {channels: 2, kernel: [2, 3], padding: circular}}, erf, global_avg_pool, {dense: 2}]"
same="[{conv: {channels: 3, kernel: 3}}, relu, {conv: {channels: 2, kernel: [2, 3]}}, erf, flatten, {dense: 2}]"
for data in x shifted; do
    ntk 2 run "$(job circular-$data $data.npy "$circular")" --quiet || fail "circular run $data"
    ntk 2 run "$(job same-$data $data.npy "$same")" --quiet || fail "same run $data"
done
for kernel in theta nngp; do
    compare_npy out-circular-x/$kernel.npy out-circular-shifted/$kernel.npy 1e-13 \
        || fail "circular padding + global_avg_pool: $kernel changed under a shift"
    ! compare_npy out-same-x/$kernel.npy out-same-shifted/$kernel.npy 1e-3 \
        || fail "same padding + flatten: $kernel did not change under a shift"
done

# Ranks, grids and blocks: Theta, the NNGP kernel and the held-out outputs bit for bit.
pooled="[{conv: {channels: 3, kernel: 3, padding: circular}}, relu, {avg_pool: {window: 2, stride: 1}}, {conv: {channels: 2, kernel: 2, padding: valid}}, erf, global_avg_pool, {dense: 2}]"
predict="predict: {steps: [0, 10]}"
for outputs in trace full; do
    for setup in "1 [1,1] 3" "2 [1,2] 2" "3 [3,1] 1" "4 [2,2] 2" "4 [1,4] 5"; do
        set -- $setup
        name="ranks-$outputs-$1-${2//[^0-9]/}-$3"
        ntk "$1" run "$(job "$name" "{inputs: x.npy, targets: y.npy, test_inputs: test.npy}" "$pooled" "$predict")" \
            --quiet --set kernel.outputs=$outputs --set output.test_theta=true \
            --set "grid.shape=$2" --set grid.block=$3 --set spectrum.solver=pdsyevd \
            || fail "run on $1 ranks, grid $2, block $3, $outputs"
        for file in theta.npy nngp.npy test_theta.npy test_nngp.npy; do
            compare_npy "out-ranks-$outputs-1-11-3/$file" "out-$name/$file" 0 \
                || fail "$file differs: $1 ranks, grid $2, block $3, $outputs"
        done
        # through the eigensolver, whose rounding depends on the grid
        for file in test_predictions.npy eigenvalues.npy; do
            compare_npy "out-ranks-$outputs-1-11-3/$file" "out-$name/$file" 1e-10 \
                || fail "$file differs: $1 ranks, grid $2, block $3, $outputs"
        done
    done
done
pass "analytic conv kernels: closed forms, exact stationarity, identical on every grid"
