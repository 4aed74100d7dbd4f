# A net with blocks (branches.yaml: a stride-2 conv shortcut, a parallel
# concat with an identity branch and nested residuals, a residual MLP head):
# Theta from the structured kernel equals the explicit Jacobian's to 1e-12
# and is the same (to 1e-13: tiles of other sizes round differently) on 1-4
# ranks and several grids and blocks, trace and full, and with the
# structured kernel's parameter chunks (kernel.chunk_mib: 1).
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch branches-ranks)
job="$NTK_TESTS_DIR/branches/branches.yaml"
for outputs in trace full; do
    ref="$dir/$outputs-ref"
    ntk serial run "$job" --quiet --out "$ref" --set kernel.outputs=$outputs \
        --set kernel.method=jacobian --set grid.block=8 || fail "jacobian run ($outputs)"
    first=
    for setup in "1 [1,1] 3" "2 [1,2] 4" "3 [3,1] 2" "4 [2,2] 5" "4 [1,4] 16"; do
        set -- $setup
        out="$dir/$outputs-$1-$2-$3"
        ntk "$1" run "$job" --quiet --out "$out" --set kernel.outputs=$outputs \
            --set "grid.shape=$2" --set grid.block=$3 || fail "run on $1 ranks, grid $2, block $3 ($outputs)"
        compare_npy "$ref/theta.npy" "$out/theta.npy" 1e-12 \
            || fail "structured != jacobian: $1 ranks, grid $2, block $3 ($outputs)"
        [ -n "$first" ] || first="$out"
        compare_npy "$first/theta.npy" "$out/theta.npy" 1e-13 \
            || fail "Theta on $1 ranks, grid $2, block $3 differs from 1 rank's ($outputs)"
    done
done
pass "blocks: structured == jacobian, Theta the same on 1-4 ranks and grids, trace and full"

# Parameter chunks (kernel.chunk_mib: 1 on wider block convs): the partial
# backward pass down to a layer inside a block, on 1 and 2 ranks.
wide=(--set 'model.layers[2].residual.body[0].conv.channels=48' --set kernel.outputs=full
      --set 'model.layers[2].residual.body[2].conv.channels=48'
      --set 'model.layers[2].residual.shortcut[0].conv.channels=48')
ntk serial plan "$job" "${wide[@]}" --set kernel.chunk_mib=1 | grep -q 'chunk passes of' \
    || fail "plan shows no chunked layer"
ntk serial run "$job" --quiet --out "$dir/wide-ref" "${wide[@]}" --set kernel.method=jacobian \
    || fail "jacobian run (wide)"
for ranks in serial 2; do
    ntk $ranks run "$job" --quiet --out "$dir/wide-$ranks" "${wide[@]}" --set kernel.chunk_mib=1 \
        || fail "chunked run on $ranks"
    compare_npy "$dir/wide-ref/theta.npy" "$dir/wide-$ranks/theta.npy" 1e-12 \
        || fail "chunked structured != jacobian ($ranks)"
done
pass "blocks: the structured kernel's parameter chunks == jacobian"

