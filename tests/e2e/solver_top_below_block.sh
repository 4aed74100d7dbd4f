# spectrum.top smaller than the block with eigenvectors (issue 7, defect 1):
# N = 256, block 64, top 10 on 1 and 2 ranks. pdsyevr used to return the
# tridiagonal matrix's eigenvectors with exit 0 (its inner PDORMTR refused
# its workspace); now the pairs match numpy.linalg.eigh of theta.npy with
# ||Theta v - lambda v|| <= 1e-9 ||Theta||, and summary.yaml reports the
# residual the run measured itself.
. "$NTK_TESTS_DIR/lib.sh"
need_python
dir=$(scratch solver_top_below_block)
job="$NTK_TESTS_DIR/e2e/small.yaml"
for ranks in 1 2; do
    out="$dir/top10-$ranks"
    ntk "$ranks" run "$job" --quiet --out "$out" --set data.inputs.n=256 --set grid.block=64 \
        --set spectrum.top=10 --set spectrum.vectors=true --set spectrum.solver=pdsyevr || fail "run on $ranks ranks"
    grep -Eq '^  solver: "?pdsyevr' "$out/summary.yaml" || fail "not solved with pdsyevr"
    py "$NTK_TESTS_DIR/e2e/check_spectrum.py" "$out" 256 3 || fail "numpy check on $ranks ranks"
    residual=$(awk '$1 == "max_relative_residual:" {print $2}' "$out/summary.yaml")
    py -c "import sys; r = float(sys.argv[1]); assert 0 <= r <= 1e-9, r" "$residual" ||
        fail "summary.yaml max_relative_residual '$residual' on $ranks ranks"
done
pass "top 10 < block 64 with vectors matches numpy on 1 and 2 ranks"
