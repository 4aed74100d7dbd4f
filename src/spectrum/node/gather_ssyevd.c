/* spectrum.solver lapack with kernel.precision float32 (solvers.h,
 * spectrum_solve_lapack_float32): the float32 -Theta's lower triangle
 * gathered to grid rank 0 (node_transfer.c, float messages), LAPACK's
 * ssyevd there with the node's threads (node_rank_zero.h), and the
 * eigenvectors, which ssyevd leaves in place of the matrix, scattered back.
 *
 * ssyevd is dsyevd in single precision: ssytrd, then ssterf for the
 * eigenvalues alone or sstedc (divide and conquer) and sormtr for every
 * pair; it scales the matrix into its safe range itself. The float64 path's
 * own arrangement of those steps (node_eigen.c: the two-stage reduction,
 * the split divide and conquer, the wide back-transformation) has no float
 * counterpart here; one ssyevd call with a threaded BLAS is the float32
 * path. Its workspace follows LAPACK's documented sizes (1 + 6M + 2M^2 and
 * 3 + 5M with eigenvectors, 2M + 1 and 1 without), taken larger when the
 * query asks for more; INFO and every XERBLA complaint are checked. */
#include "spectrum/solvers.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/lapack.h"
#include "core/log.h"
#include "core/memory.h"
#include "grid/scalapack.h"
#include "spectrum/node/node_rank_zero.h"
#include "spectrum/node/node_transfer.h"

typedef struct {
    int64_t n;
    int want_vectors;
    float *a, *w;
} float32_solve;

static ntk_status run_ssyevd(void *context, int threads)
{
    (void)threads; /* the BLAS's threads run ssyevd's products */
    float32_solve *job = context;
    const int64_t n = job->n;
    const char *jobz = job->want_vectors ? "V" : "N";
    const int64_t lwork_documented = job->want_vectors ? 1 + 6 * n + 2 * n * n : 2 * n + 1;
    const int64_t liwork_documented = job->want_vectors ? 3 + 5 * n : 1;
    if (n > INT_MAX || lwork_documented > INT_MAX)
        return NTK_RAISE(NTK_ERR_MEMORY,
                         "ssyevd needs %lld workspace entries for M = %lld, more than LAPACK's "
                         "32-bit sizes allow; use spectrum.solver pdsyevd or pdsyevr",
                         (long long)lwork_documented, (long long)n);
    const int size = (int)n, query = -1;
    int info = 0, iwork_query = 0;
    float work_query = 0.0f;
    ssyevd_(jobz, "L", &size, job->a, &size, job->w, &work_query, &query, &iwork_query, &query,
            &info, 1, 1);
    NTK_TRY(grid_check_scalapack("ssyevd (workspace query)", info));
    int64_t lwork = (int64_t)ceil((double)work_query * 1.001) + 16;
    lwork = lwork > lwork_documented ? lwork : lwork_documented;
    if (lwork > INT_MAX)
        lwork = lwork_documented;
    const int64_t liwork = iwork_query > liwork_documented ? iwork_query : liwork_documented;
    float *work = NULL;
    int *iwork = NULL;
    ntk_status status = NTK_ALLOC_UNZEROED(work, (size_t)lwork, "ssyevd workspace");
    if (status == NTK_OK)
        status = NTK_CALLOC(iwork, liwork, "ssyevd integer workspace");
    if (status == NTK_OK) {
        const int lwork_int = (int)lwork, liwork_int = (int)liwork;
        ssyevd_(jobz, "L", &size, job->a, &size, job->w, work, &lwork_int, iwork, &liwork_int,
                &info, 1, 1);
        status = grid_check_scalapack("ssyevd", info > 0 ? 0 : info);
        if (status == NTK_OK && info > 0)
            status = NTK_RAISE(NTK_ERR_NUMERIC,
                               "ssyevd did not converge (info %d); use spectrum.solver pdsyevd "
                               "or pdsyevr", info);
    }
    free(work);
    free(iwork);
    return status;
}

ntk_status spectrum_solve_lapack_float32(const ntk_grid *grid, ntk_smatrix *minus_theta,
                                         float *w, ntk_smatrix *z, char *detail,
                                         size_t detail_size)
{
    const int64_t n = minus_theta->rows;
    /* rank 0: M x M, ld M; the lower triangle gathered, then the
     * eigenvectors (the upper triangle is not read: not zeroed) */
    float *a = NULL;
    ntk_status status = NTK_OK;
    if (grid->rank == 0)
        status = NTK_ALLOC_UNZEROED(a, (size_t)n * (size_t)(n > 0 ? n : 1),
                                    "the matrix gathered on rank 0");
    status = ntk_agree(status, grid->comm);
    const double started = MPI_Wtime();
    if (status == NTK_OK)
        status = node_gather_lower_float(grid, minus_theta, a);
    const double gathered = MPI_Wtime();
    float32_solve job = {n, z != NULL, a, w};
    int threads = 1;
    if (status == NTK_OK)
        status = node_run_on_rank_zero(grid, run_ssyevd, &job, &threads);
    const double solved = MPI_Wtime();
    if (status == NTK_OK && z != NULL) {
        status = ntk_agree(smatrix_create(grid, n, n, z), grid->comm);
        if (status == NTK_OK)
            status = node_scatter_columns_float(grid, a, z);
        if (status != NTK_OK)
            smatrix_destroy(z);
    }
    free(a);
    NTK_TRY(status);
    ntk_log("lapack on rank 0 (kernel.precision float32): gather %.2f s, ssyevd %.2f s, "
            "scatter %.2f s", gathered - started, solved - gathered, MPI_Wtime() - solved);
    snprintf(detail, detail_size, "lapack ssyevd on rank 0, %d thread%s (kernel.precision float32)",
             threads, threads == 1 ? "" : "s");
    return NTK_OK;
}
