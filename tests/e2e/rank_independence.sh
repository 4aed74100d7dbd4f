# Theta is the same for 1, 2, 3 and 4 ranks, several grids and block sizes,
# both kernel methods and both output modes (to 1e-12 relative).
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch rank_independence)
job="$NTK_TESTS_DIR/e2e/small.yaml"
for outputs in trace full; do
    ref="$dir/$outputs-ref"
    ntk serial run "$job" --quiet --out "$ref" --set kernel.outputs=$outputs \
        --set kernel.method=jacobian --set grid.block=8 || fail "reference run ($outputs)"
    for setup in "1 [1,1] 3 structured" "2 [1,2] 4 structured" "2 [2,1] 5 jacobian" \
                 "3 [3,1] 2 structured" "3 [1,3] 7 structured" "4 [2,2] 4 structured" \
                 "4 [2,2] 3 jacobian" "4 [1,4] 16 structured" "4 auto 1 structured"; do
        set -- $setup
        out="$dir/$outputs-$1-$2-$3-$4"
        ntk "$1" run "$job" --quiet --out "$out" --set kernel.outputs=$outputs \
            --set "grid.shape=$2" --set grid.block=$3 --set kernel.method=$4 \
            || fail "run on $1 ranks, grid $2, block $3, $4, $outputs"
        compare_npy "$ref/theta.npy" "$out/theta.npy" 1e-12 \
            || fail "theta differs: $1 ranks, grid $2, block $3, $4, $outputs"
        compare_npy "$ref/eigenvalues.npy" "$out/eigenvalues.npy" 1e-10 \
            || fail "eigenvalues differ: $1 ranks, grid $2, block $3, $4, $outputs"
    done
done
pass "theta identical across ranks, grids, blocks, methods"
