# A PBLAS illegal argument ends the job with ntkgram's error line and the
# internal-error exit code 10 on every rank, instead of the library's bare
# MPI_Abort (grid/scalapack_errors.c interposes Cblacs_abort).
# Argument: the grid_scalapack_errors tool.
. "$NTK_TESTS_DIR/lib.sh"
tool=$1
for ranks in 1 2; do
    out=$(timeout 120 "$NTK_MPIEXEC" --oversubscribe -n "$ranks" "$tool" pblas-abort 2>&1)
    rc=$?
    [ $rc -eq 124 ] && fail "hang after a PBLAS abort on $ranks ranks"
    [ $rc -eq 10 ] || fail "exit $rc, expected 10 on $ranks ranks: $out"
    printf '%s\n' "$out" | grep -q '^ntkgram: error: PBLAS/BLACS aborted' ||
        fail "no ntkgram error line on $ranks ranks: $out"
done
pass "a PBLAS abort ends the job with exit code 10 and one clear line"
