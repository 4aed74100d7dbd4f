# Conv networks whose Jacobian blocks exceed kernel.chunk_mib: the structured
# kernel sums each block in passes over ranges of its rows (output channels),
# J_l[:, c] J_l[:, c]^T, instead of keeping every item's block whole. With a
# 1 MiB budget both conv layers of this network are chunked (plan must say
# so, else the test would not test chunking), and Theta must equal the
# explicit Jacobian's and the unchunked structured one's to 1e-12, on 1, 2 and
# 3 ranks, trace and full.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch conv-chunked)
job="$NTK_TESTS_DIR/conv/small_cnn.yaml"
net=(--set 'data.inputs.shape=[8,8,16]'
     --set 'model.layers=[{conv: {channels: 24, kernel: 3}}, relu, {conv: {channels: 24, kernel: 3}}, relu, global_avg_pool, {dense: 3}]')
for outputs in trace full; do
    forms=$(ntk serial plan "$job" --format yaml --set kernel.outputs=$outputs --set kernel.chunk_mib=1 \
            "${net[@]}")
    echo "$forms" | grep -q '{layer: 0, form: jacobian block.*block_rows: 24, chunk_rows: [1-9][0-9]*}' \
        && echo "$forms" | grep -q '{layer: 2, form: jacobian block.*block_rows: 24, chunk_rows: [1-9][0-9]*}' \
        || fail "plan does not chunk both conv layers ($outputs): $forms"
    passes=$(echo "$forms" | awk '$1 == "passes:" {print $2}')
    [ "${passes:-0}" -ge 4 ] || fail "plan: $passes chunk passes, expected several per layer ($outputs)"
    # Without the small budget nothing is chunked.
    ntk serial plan "$job" --format yaml --set kernel.outputs=$outputs "${net[@]}" \
        | grep -q '^  passes: 0$' || fail "plan chunks with the default budget ($outputs)"

    ref="$dir/$outputs-jacobian"
    ntk serial run "$job" --quiet --out "$ref" --set kernel.outputs=$outputs \
        --set kernel.method=jacobian "${net[@]}" || fail "jacobian run ($outputs)"
    whole="$dir/$outputs-whole"
    ntk serial run "$job" --quiet --out "$whole" --set kernel.outputs=$outputs \
        --set kernel.method=structured "${net[@]}" || fail "unchunked structured run ($outputs)"
    compare_npy "$ref/theta.npy" "$whole/theta.npy" 1e-12 \
        || fail "unchunked structured != jacobian ($outputs)"
    for setup in "1 [1,1] 3" "2 [1,2] 4" "3 [3,1] 2"; do
        set -- $setup
        out="$dir/$outputs-$1-$2-$3"
        ntk "$1" run "$job" --quiet --out "$out" --set kernel.outputs=$outputs \
            --set kernel.method=structured --set kernel.chunk_mib=1 --set "grid.shape=$2" \
            --set grid.block=$3 "${net[@]}" || fail "chunked run on $1 ranks, grid $2 ($outputs)"
        compare_npy "$ref/theta.npy" "$out/theta.npy" 1e-12 \
            || fail "chunked structured != jacobian: $1 ranks, grid $2, block $3 ($outputs)"
        compare_npy "$whole/theta.npy" "$out/theta.npy" 1e-12 \
            || fail "chunked != unchunked structured: $1 ranks, grid $2, block $3 ($outputs)"
    done
done
# The cross kernel (held-out inputs) in chunk passes too, on 3 ranks.
py - "$dir" <<'PY'
import sys
import numpy as np
rng = np.random.default_rng(5)
np.save(f"{sys.argv[1]}/x.npy", rng.standard_normal((13, 8, 8, 16)))
np.save(f"{sys.argv[1]}/x_test.npy", rng.standard_normal((7, 8, 8, 16)))
np.save(f"{sys.argv[1]}/y.npy", rng.standard_normal((13, 3)))
PY
held=(--set "data.inputs=$dir/x.npy" --set "data.targets=$dir/y.npy"
      --set "data.test_inputs=$dir/x_test.npy" --set output.test_theta=true)
for outputs in trace full; do
    ntk serial run "$job" --quiet --out "$dir/cross-$outputs-ref" --set kernel.outputs=$outputs \
        --set kernel.method=jacobian "${net[@]}" "${held[@]}" || fail "jacobian cross run ($outputs)"
    ntk 3 run "$job" --quiet --out "$dir/cross-$outputs" --set kernel.outputs=$outputs \
        --set kernel.method=structured --set kernel.chunk_mib=1 --set 'grid.shape=[1,3]' \
        "${net[@]}" "${held[@]}" || fail "chunked cross run ($outputs)"
    compare_npy "$dir/cross-$outputs-ref/test_theta.npy" \
        "$dir/cross-$outputs/test_theta.npy" 1e-12 || fail "chunked cross kernel != jacobian ($outputs)"
done
pass "conv Theta in parameter chunks (kernel.chunk_mib 1): structured == jacobian on 1-3 ranks, trace and full"
