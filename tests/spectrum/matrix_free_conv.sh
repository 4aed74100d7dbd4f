# spectrum.solver matrix_free on conv networks (conv_products.c): the top
# eigenpairs equal pdsyevd's on the same job to 1e-10 relative (eigenvectors
# up to sign, residuals, trace(Theta); tests/e2e/check_matrix_free.py), trace
# and full outputs, a 2-D network (same conv; valid conv with stride [2, 1];
# avg_pool; flatten; dense) and a 1-D one (circular conv; valid conv with
# stride 2; global_avg_pool; dense), stored and recomputed features, on 1
# and 2 ranks; and plan's product flops are the conv products' own count.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch matrix_free_conv)
job="$NTK_TESTS_DIR/conv/small_cnn.yaml"
size=(--set data.inputs.n=240 --set grid.block=16)
conv1d=(--set 'data.inputs.shape=[9,3]' --set 'model.layers=[{conv: {channels: 4, kernel: 3, padding: circular}}, relu, {conv: {channels: 3, kernel: 2, stride: 2, padding: valid}}, global_avg_pool, {dense: 3}]')
for network in 2d 1d; do
    extra=()
    [ $network = 1d ] && extra=("${conv1d[@]}")
    for outputs in trace full; do
        dense="$dir/dense-$network-$outputs"
        ntk 2 run "$job" --quiet --out "$dense" "${size[@]}" "${extra[@]}" \
            --set kernel.outputs=$outputs --set spectrum.solver=pdsyevd --set output.theta=true \
            || fail "pdsyevd run ($network $outputs)"
        for setup in "serial 10 stored" "2 25 recompute"; do
            set -- $setup
            out="$dir/mf-$network-$outputs-$1-$2-$3"
            ntk "$1" run "$job" --quiet --out "$out" "${size[@]}" "${extra[@]}" \
                --set kernel.outputs=$outputs --set output.theta=false \
                --set spectrum.solver=matrix_free --set spectrum.top=$2 \
                --set spectrum.features=$3 || fail "matrix_free run ($network $outputs $setup)"
            py "$NTK_TESTS_DIR/e2e/check_matrix_free.py" "$out" "$dense" "$2" \
                || fail "matrix_free vs pdsyevd ($network $outputs $setup)"
        done
    done
done
# plan: a product is 2 x inputs x channels x the layers' multiply-adds per
# input and channel (both halves), counted here from the layer shapes:
# conv 2 (positions C_out (D + 1) + k out.size), dense 2 (out (in + 1) + k out).
for outputs in trace full; do
    ntk serial plan "$job" --format yaml "${size[@]}" --set kernel.outputs=$outputs \
        --set output.theta=false --set spectrum.solver=matrix_free --set spectrum.top=10 \
        > "$dir/plan-$outputs.yaml" || fail "plan ($outputs)"
    py - "$dir/plan-$outputs.yaml" $outputs <<'PY' || fail "plan's product flops ($outputs)"
import sys
text = open(sys.argv[1]).read()
planned = float(text.split("product_flops: ")[1].split()[0])
k, n = 3, 240
conv = lambda positions, c_out, depth: 2 * (positions * c_out * (depth + 1) + k * positions * c_out)
dense = lambda n_in, n_out: 2 * (n_out * (n_in + 1) + k * n_out)
# small_cnn: (6, 5, 2) -> conv 4 3x3 same (30 positions, D 18) -> conv 3 [2, 3]
# valid stride [2, 1] (3 x 3 positions, D 24) -> avg_pool 2 stride 1 (2 x 2 x 3)
# -> flatten 12 -> dense 5 -> dense 3
per_input = conv(30, 4, 18) + conv(9, 3, 24) + dense(12, 5) + dense(5, 3)
channels = k if sys.argv[2] == "trace" else 1
expected = 2 * n * channels * per_input
assert abs(planned - expected) <= 1e-5 * expected, (planned, expected)
print(f"plan product_flops {planned:.6g} == {expected:.6g}")
PY
done
pass "matrix_free on conv networks agrees with pdsyevd; plan counts the conv products"
