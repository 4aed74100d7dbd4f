/* The single-node path (see solvers.h): when all ranks share one node and
 * the matrix fits there, LAPACK on one rank with the node's cores beats the
 * distributed solvers on the same cores (docs/performance.md, Performance; the reason is
 * ScaLAPACK's/ELPA's message passing and their one-stage tridiagonal
 * reduction, half of it matrix-vector products, which a threaded BLAS on
 * shared memory does faster).
 *
 * The lower triangle of -Theta (all LAPACK reads) goes to rank 0 as plain
 * MPI messages (node_transfer.c). Rank 0 solves there
 * (node_eigen.h: a two-stage reduction for values only, dsytrd, dstedc and a
 * blocked back-transformation for all pairs, dsyevr for the top k), with
 * as many OpenBLAS threads as the node's ranks are bound to CPUs, after
 * widening its own CPU binding to theirs (mpirun binds each rank to one
 * core; threads started while bound would share it). The other ranks wait
 * in a sleeping poll, not in a spinning MPI call, so the cores are free.
 * The eigenvectors travel back the same way. */
#define _GNU_SOURCE
#include "spectrum/solvers.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/blas_kernels.h"
#include "core/blas_threads.h"
#include "core/log.h"
#include "spectrum/node/node_eigen.h"
#include "spectrum/node/node_rank_zero.h"
#include "spectrum/node/node_transfer.h"

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

ntk_status node_run_on_rank_zero(const ntk_grid *grid, node_rank_zero_solve solve, void *context,
                                 int *threads)
{
    cpu_set_t cpus;
    *threads = 1;
    NTK_TRY(node_cpus(grid, &cpus, threads));
    NTK_MPI(MPI_Bcast(threads, 1, MPI_INT, 0, grid->comm));
    ntk_status solved = NTK_OK;
    if (grid->rank == 0) {
        cpu_set_t own;
        const int have_own = sched_getaffinity(0, sizeof own, &own) == 0;
        if (have_own && CPU_COUNT(&cpus) > 0)
            (void)sched_setaffinity(0, sizeof cpus, &cpus); /* a refusal only costs speed */
        const int before = ntk_blas_threads();
        ntk_blas_set_threads(*threads);
        solved = solve(context, *threads);
        ntk_blas_set_threads(before);
        if (have_own)
            (void)sched_setaffinity(0, sizeof own, &own);
    }
    ntk_status status = wait_for_rank_zero(grid);
    if (status == NTK_OK)
        status = solved;
    return ntk_agree(status, grid->comm);
}

/* Rank 0's part between the gather and the scatter: node_eigen.h's
 * routine for what is asked, and its name for the log and summary.yaml. */
typedef struct {
    int64_t n, pairs;
    int want_vectors;
    double *a, *w, **z;
    const char *routine;
} float64_solve;

static ntk_status solve_on_rank_zero(void *context, int threads)
{
    float64_solve *job = context;
    if (!job->want_vectors) {
        ntk_blas_kernels kernels;
        ntk_blas_kernels_detect(&kernels);
        const int two_stage = node_values_two_stage(kernels.kernels_simd);
        job->routine = two_stage ? "two-stage+dsterf" : "dsytrd+dsterf";
        return node_eigen_values(job->n, job->a, job->w, threads, two_stage);
    }
    if (job->pairs >= job->n) {
        job->routine = "dsytrd+dstedc";
        return node_eigen_all(job->n, job->a, job->w, job->z, threads);
    }
    job->routine = "dsyevr";
    return node_eigen_lowest(job->n, job->pairs, job->a, job->w, job->z);
}

ntk_status spectrum_solve_lapack(const ntk_grid *grid, int64_t pairs,
                                 const ntk_dmatrix *minus_theta, double *w, ntk_dmatrix *z,
                                 char *detail, size_t detail_size)
{
    const int64_t n = minus_theta->rows;
    const int want_vectors = z != NULL;
    /* Not zeroed: the gather writes the lower triangle and LAPACK's 'L'
     * routines read nothing else; zeroing it first was the pass that took
     * the page faults, a large share of a values-only solve (core/memory.h;
     * docs/design.md, "The single-node eigensolver"). */
    double *a = NULL; /* rank 0: M x M, ld M */
    ntk_status status = NTK_OK;
    if (grid->rank == 0)
        status = NTK_ALLOC_UNZEROED(a, (size_t)n * (size_t)(n > 0 ? n : 1),
                                    "the matrix gathered on rank 0");
    status = ntk_agree(status, grid->comm);
    const double started = MPI_Wtime();
    if (status == NTK_OK)
        status = node_gather_lower(grid, minus_theta, a);
    const double gathered = MPI_Wtime();

    double *rank0_vectors = NULL; /* rank 0: the eigenvectors, M x pairs, ld M */
    float64_solve job = {n, pairs, want_vectors, a, w, &rank0_vectors, ""};
    int threads = 1;
    if (status == NTK_OK)
        status = node_run_on_rank_zero(grid, solve_on_rank_zero, &job, &threads);
    free(a);
    const double solved = MPI_Wtime();
    if (status == NTK_OK && want_vectors) {
        status = ntk_agree(dmatrix_create(grid, n, pairs, z), grid->comm);
        if (status == NTK_OK)
            status = node_scatter_columns(grid, rank0_vectors, z);
        if (status != NTK_OK)
            dmatrix_destroy(z);
    }
    free(rank0_vectors);
    NTK_TRY(status);
    ntk_log("lapack on rank 0: gather %.2f s, %s %.2f s, scatter %.2f s", gathered - started,
            job.routine, solved - gathered, MPI_Wtime() - solved);
    snprintf(detail, detail_size, "lapack %s on rank 0, %d thread%s", job.routine, threads,
             threads == 1 ? "" : "s");
    return NTK_OK;
}
