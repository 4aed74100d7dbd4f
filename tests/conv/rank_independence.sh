# Conv networks: Theta from the structured kernel (Jacobian blocks) equals the
# explicit Jacobian's to 1e-12 and is the same on 1-4 ranks, several grids and
# block sizes, trace and full, 2-D and 1-D networks.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch conv-ranks)
job="$NTK_TESTS_DIR/conv/small_cnn.yaml"
conv1d=(--set 'data.inputs.shape=[9,3]' --set 'model.layers=[{conv: {channels: 4, kernel: 3, padding: circular}}, relu, {conv: {channels: 3, kernel: 2, stride: 2, padding: valid}}, global_avg_pool, {dense: 3}]')
for network in 2d 1d; do
    extra=()
    [ $network = 1d ] && extra=("${conv1d[@]}")
    for outputs in trace full; do
        ref="$dir/$network-$outputs-ref"
        ntk serial run "$job" --quiet --out "$ref" --set kernel.outputs=$outputs \
            --set kernel.method=jacobian --set grid.block=8 "${extra[@]}" || fail "reference run ($network $outputs)"
        for setup in "1 [1,1] 3 structured" "2 [1,2] 4 structured" "3 [3,1] 2 structured" \
                     "4 [2,2] 5 structured" "4 [1,4] 16 structured" "2 [2,1] 5 jacobian"; do
            set -- $setup
            out="$dir/$network-$outputs-$1-$2-$3-$4"
            ntk "$1" run "$job" --quiet --out "$out" --set kernel.outputs=$outputs \
                --set "grid.shape=$2" --set grid.block=$3 --set kernel.method=$4 "${extra[@]}" \
                || fail "run on $1 ranks, grid $2, block $3, $4, $network $outputs"
            py "$NTK_TESTS_DIR/compare_npy.py" "$ref/theta.npy" "$out/theta.npy" 1e-12 \
                || fail "theta differs: $1 ranks, grid $2, block $3, $4, $network $outputs"
        done
    done
done
pass "conv Theta: structured == jacobian, identical across ranks, grids, blocks"
