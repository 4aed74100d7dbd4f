# Conv networks: Theta from the structured kernel (Jacobian blocks) equals the
# explicit Jacobian's to 1e-12 and is the same on 1-4 ranks, several grids and
# block sizes, trace and full, 2-D and 1-D networks, and one whose small maps
# take the pairwise form (plan reports the form per layer).
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch conv-ranks)
job="$NTK_TESTS_DIR/conv/small_cnn.yaml"
conv1d=(--set 'data.inputs.shape=[9,3]' --set 'model.layers=[{conv: {channels: 4, kernel: 3, padding: circular}}, relu, {conv: {channels: 3, kernel: 2, stride: 2, padding: valid}}, global_avg_pool, {dense: 3}]')
# Small maps: the pairwise form for the 2 x 2 and 1 x 1 conv layers.
pairwise=(--set 'data.inputs.shape=[6,6,2]' --set 'model.layers=[{conv: {channels: 16, kernel: 3}}, relu, {avg_pool: 3}, {conv: {channels: 16, kernel: 2}}, relu, {conv: {channels: 4, kernel: 2, padding: valid}}, flatten, {dense: 2}]')
# The small-map network exercises both forms (else this test would not test the pairwise one).
for outputs in trace full; do
    forms=$(ntk serial plan "$job" --format yaml --set kernel.outputs=$outputs "${pairwise[@]}" | grep 'form:')
    echo "$forms" | grep -q '{layer: 0, form: jacobian block' && echo "$forms" | grep -q '{layer: 3, form: pairwise' \
        && echo "$forms" | grep -q '{layer: 5, form: pairwise' || fail "plan's structured forms ($outputs): $forms"
done
for network in 2d 1d pairwise; do
    extra=()
    [ $network = 1d ] && extra=("${conv1d[@]}")
    [ $network = pairwise ] && extra=("${pairwise[@]}")
    for outputs in trace full; do
        ref="$dir/$network-$outputs-ref"
        ntk serial run "$job" --quiet --out "$ref" --set kernel.outputs=$outputs \
            --set kernel.method=jacobian --set grid.block=8 "${extra[@]}" || fail "reference run ($network $outputs)"
        # Every rank count and grid on the 2-D net; the 1-D and small-map nets
        # (other layer code, the same distribution code) on one of each kind.
        setups=("1 [1,1] 3 structured" "2 [1,2] 4 structured" "3 [3,1] 2 structured"
                "4 [2,2] 5 structured" "4 [1,4] 16 structured" "2 [2,1] 5 jacobian")
        [ $network = 2d ] || setups=("3 [3,1] 2 structured" "4 [2,2] 5 structured" "2 [2,1] 5 jacobian")
        for setup in "${setups[@]}"; do
            set -- $setup
            out="$dir/$network-$outputs-$1-$2-$3-$4"
            ntk "$1" run "$job" --quiet --out "$out" --set kernel.outputs=$outputs \
                --set "grid.shape=$2" --set grid.block=$3 --set kernel.method=$4 "${extra[@]}" \
                || fail "run on $1 ranks, grid $2, block $3, $4, $network $outputs"
            compare_npy "$ref/theta.npy" "$out/theta.npy" 1e-12 \
                || fail "theta differs: $1 ranks, grid $2, block $3, $4, $network $outputs"
        done
    done
done
pass "conv Theta: structured == jacobian, identical across ranks, grids, blocks"
