# spectrum.solver elpa, elpa1 and lapack against numpy.linalg.eigh of the
# written theta.npy (issue 12): all pairs, values only and the top k, on 1 to
# 4 ranks, several grids and blocks, a block larger than the matrix (clamped
# to it: then ELPA, which needs a block on every process row and column,
# hands over to ScaLAPACK with a warning) and top smaller than the block.
# Eigenvalues to 1e-12 of the largest, vectors by check_spectrum.py's
# residual and orthogonality. Argument: 1 when built with ELPA (CMake's
# ELPA_FOUND), else only lapack runs.
. "$NTK_TESTS_DIR/lib.sh"
need_python
have_elpa=${1:-0}
dir=$(scratch elpa_solvers_vs_numpy)
job="$NTK_TESTS_DIR/e2e/small.yaml"
solvers="lapack"
[ "$have_elpa" = 1 ] && solvers="elpa elpa1 lapack"

detail_of() { # SOLVER -> the solver_detail summary.yaml must show
    case $1 in
        elpa) echo '^elpa 2-stage, kernel [a-z0-9_]+$' ;;
        elpa1) echo '^elpa 1-stage$' ;;
        lapack) echo '^lapack (two-stage\+dsterf|dsytrd\+dsterf|dsytrd\+dstedc|dsyevr) on rank 0, [0-9]+ threads?$' ;;
        pdsyevd) echo '^scalapack pdsyevd$' ;;
        pdsyevr) echo '^scalapack pdsyevr$' ;;
    esac
}

# ranks  n    outputs block top vectors grid
setups="1 45 trace 4 0 true auto
2 45 trace 4 0 false auto
2 45 trace 4 7 true auto
3 45 full 8 0 true auto
4 45 trace 4 3 true 2x2
4 100 trace 64 10 true 2x2
4 45 trace 16 0 false 4x1
2 45 trace 64 0 true auto
2 45 trace 64 5 false auto"
for solver in $solvers; do
    while read -r -u 3 ranks n outputs block top vectors shape; do
        tag="$solver-$ranks-$n-$outputs-$block-$top-$vectors-$shape"
        out="$dir/$tag"
        grid=()
        [ "$shape" != auto ] && grid=(--set "grid.shape=[${shape%x*}, ${shape#*x}]")
        log=$(ntk "$ranks" run "$job" --quiet --out "$out" --set spectrum.solver="$solver" \
            --set data.inputs.n="$n" --set kernel.outputs="$outputs" --set grid.block="$block" \
            --set spectrum.top="$top" --set spectrum.vectors="$vectors" "${grid[@]}" 2>&1) \
            || fail "run $tag: $log"
        m=$n
        [ "$outputs" = full ] && m=$((n * 3))
        expected=$solver
        # the clamped block is the whole matrix: one block, fewer than the grid's columns
        effective=$(( block < m ? block : m ))
        blocks=$(( (m + effective - 1) / effective ))
        if [ "$solver" != lapack ]; then
            rows=1 cols=$ranks
            [ "$shape" != auto ] && rows=${shape%x*} cols=${shape#*x}
            [ "$ranks" = 4 ] && [ "$shape" = auto ] && rows=2 cols=2
            if [ "$blocks" -lt "$rows" ] || [ "$blocks" -lt "$cols" ]; then
                expected=pdsyevr
                [ "$vectors" = true ] && [ "$top" = 0 ] && expected=pdsyevd
                printf '%s\n' "$log" | grep -q "ELPA needs a block" \
                    || fail "$tag: no warning that ELPA handed over"
            fi
        fi
        py "$NTK_TESTS_DIR/e2e/check_spectrum.py" "$out" "$n" 3 || fail "numpy check $tag"
        py "$NTK_TESTS_DIR/e2e/check_eigenvalues_tight.py" "$out" "$expected" \
            "$(detail_of "$expected")" || fail "tight check $tag"
        if [ "$vectors" = false ]; then
            [ ! -e "$out/eigenvectors.npy" ] || fail "$tag wrote eigenvectors"
        fi
    done 3<<<"$setups"
done
pass "$solvers match numpy on 1-4 ranks"
