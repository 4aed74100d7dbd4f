# Sizes that cannot be run are refused by name with the documented exit
# code, never wrapped into nonsense (issue 7, items 9 and 12):
#   --mem-per-rank nan | inf                  exit 2
#   grid.shape [65536, 65536] (2^32 ranks)    exit 3 in plan, 7 in run (and
#                                             no "needs 0 ranks")
#   a width of 2^32 - 1 (above BLAS's int dimensions)         exit 3
#   widths below that whose parameter count passes 2^60       exit 3
#   M = N k above ScaLAPACK's 32-bit index limit            exit 6
. "$NTK_TESTS_DIR/lib.sh"
job="$NTK_TESTS_DIR/e2e/small.yaml"
for size in nan inf NaN -inf; do
    expect_error 2 "mem-per-rank needs a size" serial plan "$job" --mem-per-rank "$size"
done
expect_error 3 "grid.shape: \[65536, 65536\] needs 4294967296 ranks" serial plan "$job" \
    --set 'grid.shape=[65536, 65536]'
expect_error 7 "needs 4294967296 ranks" 2 run "$job" --out "$PWD/never" \
    --set 'grid.shape=[65536, 65536]'
expect_error 3 "model.layers\[0\].dense: width 4294967295 is too large" serial plan "$job" \
    --set 'model.layers=[{dense: 4294967295}, relu, {dense: 4294967295}, relu, {dense: 3}]'
expect_error 3 "model.layers" serial plan "$job" \
    --set 'model.layers=[{dense: 2000000000}, relu, {dense: 2000000000}, relu, {dense: 3}]'
expect_error 6 "M = N k = 1000000000 x 3, more than ScaLAPACK's 32-bit index limit" serial \
    plan "$job" --set data.inputs.n=1000000000 --set kernel.outputs=full
pass "plan and run refuse impossible sizes by name"
