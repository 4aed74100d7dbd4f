/* The single-node path (see solvers.h): when all ranks share one node and
 * the matrix fits there, LAPACK on one rank with the node's cores beats the
 * distributed solvers on the same cores (README, Performance; the reason is
 * ScaLAPACK's/ELPA's message passing and their one-stage tridiagonal
 * reduction, half of it matrix-vector products, which a threaded BLAS on
 * shared memory does faster).
 *
 * The lower triangle of -Theta (all LAPACK reads) is copied with PDTRMR2D
 * to a 1 x 1 BLACS grid on rank 0, in column panels of at most 1 GiB
 * (ScaLAPACK 2.2.1 caps pdgemr2d's buffers at 2 GB). Rank 0 solves with
 * dsyevd (values only, or all eigenpairs in place) or dsyevr (the top k), with
 * as many OpenBLAS threads as the node's ranks are bound to CPUs, after
 * widening its own CPU binding to theirs (mpirun binds each rank to one
 * core; threads started while bound would share it). The other ranks wait
 * in a sleeping poll, not in a spinning MPI call, so the cores are free.
 * The eigenvectors travel back with PDGEMR2D, also in panels. */
#define _GNU_SOURCE
#include "spectrum/solvers.h"

#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "grid/scalapack.h"

enum { DESC_CTXT = 1, DESC_LLD = 8 };

void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
             double *w, double *work, const int *lwork, int *iwork, const int *liwork,
             int *info);
void dsyevr_(const char *jobz, const char *range, const char *uplo, const int *n, double *a,
             const int *lda, const double *vl, const double *vu, const int *il, const int *iu,
             const double *abstol, int *m, double *w, double *z, const int *ldz, int *isuppz,
             double *work, const int *lwork, int *iwork, const int *liwork, int *info);
/* OpenBLAS's thread control, weak so that a build on another BLAS
 * (NTK_BLAS=generic, mkl, blis; the sanitizer lane runs on netlib's) still
 * links: there the calls are skipped and the BLAS keeps its own threads. */
void openblas_set_num_threads(int threads) __attribute__((weak));
int openblas_get_num_threads(void) __attribute__((weak));

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

int64_t spectrum_redistribution_columns(int64_t rows)
{
    const int64_t limit = (int64_t)1 << 27;
    const int64_t columns = limit / (rows > 0 ? rows : 1);
    return columns > 0 ? columns : 1;
}

/* The whole matrix on grid rank 0: a 1 x 1 BLACS grid there, and a
 * descriptor that marks the other ranks as outside it (context -1). */
typedef struct {
    int context; /* -1 off rank 0 */
    int desc[9];
    double *data; /* M x cols, leading dimension M, rank 0 only */
} single_matrix;

static ntk_status single_create(const ntk_grid *grid, int64_t rows, int64_t cols,
                                int context, single_matrix *matrix)
{
    memset(matrix, 0, sizeof *matrix);
    matrix->context = context;
    const int m = (int)rows, n = (int)cols, nb = grid->block, zero = 0;
    const int lld = rows > 1 ? (int)rows : 1;
    if (context < 0) {
        const int outside[9] = {1, -1, m, n, nb, nb, 0, 0, lld};
        memcpy(matrix->desc, outside, sizeof outside);
        return NTK_OK;
    }
    int info = 0;
    descinit_(matrix->desc, &m, &n, &nb, &nb, &zero, &zero, &context, &lld, &info);
    NTK_TRY(grid_check_scalapack("descinit (rank 0 copy)", info));
    /* Not zeroed: the gather writes the lower triangle, LAPACK's 'L' drivers
     * read nothing else (dsyevd 'V' then writes the eigenvectors over the
     * whole array), and zeroing it first was the pass that took the page
     * faults: 0.41 s of a 3.25 s values-only solve at M = 4096 (core/memory.h). */
    return ntk_alloc_unzeroed((void **)&matrix->data,
                              (size_t)lld * (size_t)(cols > 0 ? cols : 1), sizeof(double),
                              "the matrix gathered on rank 0");
}

/* The lower triangle of -Theta to rank 0 (all LAPACK reads), a panel of
 * columns at a time (see the top): the sub-matrix from the panel's diagonal
 * down, whose lower trapezoid is exactly the triangle's part. Half the data
 * of PDGEMR2D of the whole matrix, and faster in each of 6 paired runs
 * (N = 2048, 2 ranks, load average 9: 0.042-0.123 s against 0.080-0.144 s). */
static ntk_status gather_lower(const ntk_grid *grid, int64_t rows,
                               const ntk_dmatrix *distributed, single_matrix *single)
{
    const int64_t panel = spectrum_redistribution_columns(rows);
    for (int64_t first = 0; first < rows; first += panel) {
        const int n = (int)(rows - first < panel ? rows - first : panel);
        const int m = (int)(rows - first), corner = (int)first + 1;
        pdtrmr2d_("L", "N", &m, &n, distributed->data, &corner, &corner, distributed->desc,
                  single->data, &corner, &corner, single->desc, &grid->context);
        NTK_TRY(ntk_agree(grid_check_scalapack("pdtrmr2d (gather to rank 0)", 0), grid->comm));
    }
    return NTK_OK;
}

/* The eigenvectors from rank 0 back to the grid: PDGEMR2D of all columns, a
 * panel at a time (see the top). */
static ntk_status scatter_columns(const ntk_grid *grid, int64_t rows, int64_t cols,
                                  const single_matrix *single, ntk_dmatrix *distributed)
{
    const int64_t panel = spectrum_redistribution_columns(rows);
    const int m = (int)rows, one = 1;
    for (int64_t first = 0; first < cols; first += panel) {
        const int n = (int)(cols - first < panel ? cols - first : panel);
        const int column = (int)first + 1;
        pdgemr2d_(&m, &n, single->data, &one, &column, single->desc, distributed->data, &one,
                  &column, distributed->desc, &grid->context);
        NTK_TRY(ntk_agree(grid_check_scalapack("pdgemr2d (scatter from rank 0)", 0), grid->comm));
    }
    return NTK_OK;
}

/* dsyevd on rank 0's whole matrix: 'N' values only, 'V' all pairs in place.
 * Its workspace sizes are LAPACK's documented minima or the query's, and
 * 32-bit: all pairs stop at M = 32767 (auto does not pick lapack there). */
static ntk_status run_dsyevd(const char *jobz, int64_t n64, double *a, double *w)
{
    const int n = (int)n64, lda = n > 1 ? n : 1, query = -1, vectors = jobz[0] == 'V';
    int info = 0, iwork_query = 0;
    double work_query = 0.0;
    dsyevd_(jobz, "L", &n, a, &lda, w, &work_query, &query, &iwork_query, &query, &info);
    NTK_TRY(grid_check_scalapack("dsyevd (workspace query)", info));
    const int64_t lwork = max64((int64_t)work_query, vectors ? 1 + 6 * n64 + 2 * n64 * n64
                                                             : 2 * n64 + 1);
    const int64_t liwork = max64(iwork_query, vectors ? 3 + 5 * n64 : 1);
    if (lwork > INT_MAX)
        return NTK_RAISE(NTK_ERR_MEMORY,
                         "dsyevd needs a workspace of %lld doubles, more than LAPACK's 32-bit "
                         "sizes allow (M = %lld); use spectrum.solver: pdsyevd or elpa1",
                         (long long)lwork, (long long)n64);
    double *work = NULL;
    int *iwork = NULL;
    ntk_status status = NTK_ALLOC_UNZEROED(work, lwork, "dsyevd workspace");
    if (status == NTK_OK)
        status = NTK_CALLOC(iwork, liwork, "dsyevd integer workspace");
    if (status == NTK_OK) {
        const int lwork_int = (int)lwork, liwork_int = (int)liwork;
        dsyevd_(jobz, "L", &n, a, &lda, w, work, &lwork_int, iwork, &liwork_int, &info);
        status = grid_check_scalapack("dsyevd", info);
    }
    free(iwork);
    free(work);
    return status;
}

/* Rank 0's LAPACK call on `a` (M x M, lda M, -Theta; destroyed): values
 * only with dsyevd 'N', as numpy's eigvalsh. dsyevr 'N' 'A', dsyev 'N' and
 * dsytrd + dsterf are the same algorithm (each is dsytrd + dsterf) and
 * were as fast within the noise; dsyevd_2stage took 1.24-1.35x dsyevd's
 * wall time (2 threads, same process, 3 rounds, load average 7-9; wall
 * time relative to dsyevd at N = 2048: dsyevr 0.85-0.98, dsytrd + dsterf
 * 0.79-1.15, dsyev 0.80-1.10; CPU seconds at N = 4096: dsyevd 13.1-17.1,
 * dsyevr 12.2-14.8, dsytrd + dsterf 13.8-14.8, dsyev 12.6-14.2).
 * All eigenpairs with dsyevd 'V' in place (the eigenvectors overwrite `a`;
 * `*z` stays NULL), as numpy's eigh: in a quiet window at N = 4096 with 2
 * threads it took 11.6-12.3 s against dsyevr's 12.0-12.6 s on OpenBLAS's
 * SSE kernels and 5.20 s against 7.10 s on its AVX-512 ones, where divide
 * and conquer's matrix products gain and MRRR's scalar code does not (an
 * earlier loaded window had dsyevr ahead). The top k with dsyevr 'I' into
 * `z` (M x k), which computes only those vectors. */
static ntk_status lapack_solve(int64_t n64, int64_t pairs, int want_vectors, double *a, double *w,
                               double **z, const char **routine)
{
    if (!want_vectors || pairs >= n64) {
        *routine = "dsyevd";
        return run_dsyevd(want_vectors ? "V" : "N", n64, a, w);
    }
    *routine = "dsyevr";
    const int n = (int)n64, lda = n > 1 ? n : 1, query = -1, il = 1, iu = (int)pairs;
    const double zero = 0.0;
    int info = 0, iwork_query = 0, found = 0;
    double work_query = 0.0, *work = NULL;
    int *iwork = NULL, *isuppz = NULL;
    /* dsyevr writes every entry of its M x k eigenvectors. */
    ntk_status status =
        NTK_ALLOC_UNZEROED(*z, (size_t)lda * (size_t)pairs, "eigenvectors on rank 0");
    if (status == NTK_OK)
        status = NTK_CALLOC(isuppz, 2 * pairs, "dsyevr support");
    if (status == NTK_OK) {
        dsyevr_("V", "I", "L", &n, a, &lda, &zero, &zero, &il, &iu, &zero, &found, w, *z, &lda,
                isuppz, &work_query, &query, &iwork_query, &query, &info);
        status = grid_check_scalapack("dsyevr (workspace query)", info);
    }
    const int64_t lwork = max64((int64_t)work_query, 26 * n64);
    const int64_t liwork = max64(iwork_query, 10 * n64);
    if (status == NTK_OK)
        status = NTK_CALLOC(work, lwork, "dsyevr workspace");
    if (status == NTK_OK)
        status = NTK_CALLOC(iwork, liwork, "dsyevr integer workspace");
    if (status == NTK_OK) {
        const int lwork_int = (int)lwork, liwork_int = (int)liwork;
        dsyevr_("V", "I", "L", &n, a, &lda, &zero, &zero, &il, &iu, &zero, &found, w, *z, &lda,
                isuppz, work, &lwork_int, iwork, &liwork_int, &info);
        status = grid_check_scalapack("dsyevr", info);
    }
    if (status == NTK_OK && found != iu)
        status = NTK_RAISE(NTK_ERR_NUMERIC, "dsyevr found %d eigenvalues, expected %d", found, iu);
    free(isuppz);
    free(iwork);
    free(work);
    return status;
}

/* CPUs the node's ranks are bound to, OR-ed on rank 0 (`cpus`), and the
 * threads to use there: that count, at most one per rank (a rank left
 * unbound sees every CPU of the node, not its share). Collective. */
static ntk_status node_cpus(const ntk_grid *grid, cpu_set_t *cpus, int *threads)
{
    cpu_set_t mine;
    CPU_ZERO(&mine);
    if (sched_getaffinity(0, sizeof mine, &mine) != 0)
        CPU_ZERO(&mine); /* unknown: contributes nothing, rank 0 then uses 1 thread */
    CPU_ZERO(cpus);
    NTK_MPI(MPI_Reduce(&mine, cpus, (int)sizeof mine, MPI_BYTE, MPI_BOR, 0, grid->comm));
    const int count = CPU_COUNT(cpus);
    *threads = count < grid->size ? count : grid->size;
    if (*threads < 1)
        *threads = 1;
    return NTK_OK;
}

/* Ranks other than 0 wait here while rank 0 computes: a non-blocking
 * barrier tested at growing intervals (0.1 ms doubling to 10 ms: a small
 * solve is not held up, and a long one sees 100 wake-ups a second, not a
 * thousand, on the cores its threads use) leaves their cores to rank 0's
 * threads (Open MPI's blocking calls poll at full speed). */
static ntk_status wait_for_rank_zero(const ntk_grid *grid)
{
    MPI_Request request = MPI_REQUEST_NULL;
    NTK_MPI(MPI_Ibarrier(grid->comm, &request));
    if (grid->rank == 0) {
        NTK_MPI(MPI_Wait(&request, MPI_STATUS_IGNORE));
        return NTK_OK;
    }
    struct timespec pause = {0, 100000};
    for (;;) {
        int done = 0;
        NTK_MPI(MPI_Test(&request, &done, MPI_STATUS_IGNORE));
        if (done)
            return NTK_OK;
        nanosleep(&pause, NULL);
        if (pause.tv_nsec < 10000000)
            pause.tv_nsec = pause.tv_nsec * 2 < 10000000 ? pause.tv_nsec * 2 : 10000000;
    }
}

/* Rank 0's part between the gather and the scatter, with its threads. */
static ntk_status solve_on_rank_zero(int64_t n, int64_t pairs, int want_vectors,
                                     const cpu_set_t *cpus, int threads, double *a, double *w,
                                     double **z, const char **routine)
{
    cpu_set_t own;
    const int have_own = sched_getaffinity(0, sizeof own, &own) == 0;
    if (have_own && CPU_COUNT(cpus) > 0)
        (void)sched_setaffinity(0, sizeof *cpus, cpus); /* a refusal only costs speed */
    const int have_openblas = openblas_get_num_threads != NULL && openblas_set_num_threads != NULL;
    const int before = have_openblas ? openblas_get_num_threads() : 0;
    if (have_openblas)
        openblas_set_num_threads(threads);
    ntk_status status = lapack_solve(n, pairs, want_vectors, a, w, z, routine);
    if (have_openblas)
        openblas_set_num_threads(before);
    if (have_own)
        (void)sched_setaffinity(0, sizeof own, &own);
    return status;
}

ntk_status spectrum_solve_lapack(const ntk_grid *grid, int64_t pairs,
                                 const ntk_dmatrix *minus_theta, double *w, ntk_dmatrix *z,
                                 char *detail, size_t detail_size)
{
    const int64_t n = minus_theta->rows;
    const int want_vectors = z != NULL;
    cpu_set_t cpus;
    int threads = 1;
    NTK_TRY(node_cpus(grid, &cpus, &threads));
    NTK_MPI(MPI_Bcast(&threads, 1, MPI_INT, 0, grid->comm));

    int handle = Csys2blacs_handle(grid->comm);
    int context = handle;
    Cblacs_gridinit(&context, "Row", 1, 1); /* process 0 of the handle: grid rank 0 */
    Cfree_blacs_system_handle(handle);
    const int member = grid->rank == 0;
    ntk_status status = member && context < 0
                            ? NTK_RAISE(NTK_ERR_MPI, "BLACS could not create a 1 x 1 grid")
                            : NTK_OK;
    single_matrix a = {.context = -1}, vectors = {.context = -1};
    if (status == NTK_OK)
        status = single_create(grid, n, n, member ? context : -1, &a);
    status = ntk_agree(status, grid->comm);
    const double started = MPI_Wtime();
    if (status == NTK_OK)
        status = gather_lower(grid, n, minus_theta, &a);
    const double gathered = MPI_Wtime();

    const char *routine = "dsyevd";
    double *top_vectors = NULL; /* rank 0: dsyevr's eigenvectors (top k only) */
    if (status == NTK_OK) {
        ntk_status solved = NTK_OK;
        if (member)
            solved = solve_on_rank_zero(n, pairs, want_vectors, &cpus, threads, a.data, w,
                                        &top_vectors, &routine);
        status = wait_for_rank_zero(grid);
        if (status == NTK_OK)
            status = solved;
        status = ntk_agree(status, grid->comm);
    }
    const double solved = MPI_Wtime();
    if (status == NTK_OK && want_vectors) {
        vectors = a; /* the M x pairs eigenvectors, behind a's grid: dsyevd's */
        vectors.data = top_vectors != NULL ? top_vectors : a.data; /* in a, dsyevr's apart */
        vectors.desc[3] = (int)pairs; /* N of the rank-0 matrix */
        status = dmatrix_create(grid, n, pairs, z);
        status = ntk_agree(status, grid->comm);
        if (status == NTK_OK)
            status = scatter_columns(grid, n, pairs, &vectors, z);
        if (status != NTK_OK)
            dmatrix_destroy(z);
    }
    free(top_vectors);
    free(a.data);
    if (member && context >= 0)
        Cblacs_gridexit(context);
    NTK_TRY(status);
    ntk_log("lapack on rank 0: gather %.2f s, %s %.2f s, scatter %.2f s", gathered - started,
            routine, solved - gathered, MPI_Wtime() - solved);
    snprintf(detail, detail_size, "lapack %s on rank 0, %d thread%s", routine, threads,
             threads == 1 ? "" : "s");
    return NTK_OK;
}
