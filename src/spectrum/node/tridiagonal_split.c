/* Eigenpairs of the symmetric tridiagonal matrix of the all-pairs path
 * (node_eigen.h), divide and conquer with its first split run on two
 * threads.
 *
 * LAPACK's dstedc divides the matrix recursively and merges each pair of
 * halves by a rank-one update (dlaed1); it solves the two halves one after
 * the other, and only the merges' matrix products use the BLAS's threads.
 * Here the top split is done by hand, as dlaed0 does it: T = diag(T1, T2)
 * + |e| u u^T with u = e_m + sign(e) e_{m+1}, the halves by dstedc on one
 * thread each, at once, then dlaed1 merges them with the BLAS's threads,
 * and the eigenpairs are put in ascending order (dlaed1 returns the
 * permutation that sorts them). The matrix is scaled to unit largest entry
 * first, as dstedc does. Solving the halves at once is what gains over
 * dstedc (docs/design.md, "The single-node eigensolver", has the times).
 * Below SPLIT_MIN, or on one thread, dstedc alone. */
#include "spectrum/node/node_eigen.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/blas_threads.h"
#include "core/memory.h"
#include "grid/scalapack.h"

enum { SPLIT_MIN = 512 };

typedef struct {
    int n, ldz, info;
    double *d, *e, *z, *work;
    int *iwork;
} half_problem;

static void *solve_half(void *argument)
{
    half_problem *half = argument;
    const int lwork = 1 + 4 * half->n + half->n * half->n, liwork = 3 + 5 * half->n;
    dstedc_("I", &half->n, half->d, half->e, half->z, &half->ldz, half->work, &lwork,
            half->iwork, &liwork, &half->info, 1);
    return NULL;
}

/* Columns of z and entries of d into the order `order` gives (1-based, as
 * dlaed1 returns it: position i takes column order[i] - 1), in place by
 * following each cycle once with one column of scratch. */
static void permute(int n, int *order, double *d, double *z, double *column)
{
    for (int start = 0; start < n; start++) {
        if (order[start] <= 0 || order[start] - 1 == start) {
            order[start] = 0;
            continue;
        }
        const double first_value = d[start];
        memcpy(column, z + (size_t)start * (size_t)n, (size_t)n * sizeof *column);
        int at = start;
        while (order[at] - 1 != start) {
            const int from = order[at] - 1;
            d[at] = d[from];
            memcpy(z + (size_t)at * (size_t)n, z + (size_t)from * (size_t)n,
                   (size_t)n * sizeof *column);
            order[at] = 0;
            at = from;
        }
        d[at] = first_value;
        memcpy(z + (size_t)at * (size_t)n, column, (size_t)n * sizeof *column);
        order[at] = 0;
    }
}

ntk_status tridiagonal_eigen(int n, double *d, double *e, double *z, double *work, int threads)
{
    int info = 0;
    if (threads < 2 || n < SPLIT_MIN) {
        const int lwork = 1 + 4 * n + n * n, liwork = 3 + 5 * n;
        int *iwork = NULL;
        NTK_TRY(NTK_CALLOC(iwork, liwork, "dstedc integer workspace"));
        dstedc_("I", &n, d, e, z, &n, work, &lwork, iwork, &liwork, &info, 1);
        free(iwork);
        return grid_check_scalapack("dstedc", info);
    }
    const double largest = dlanst_("M", &n, d, e, 1);
    if (!(largest > 0.0) || !isfinite(largest))
        return tridiagonal_eigen(n, d, e, z, work, 1); /* zero or not finite: dstedc's call */
    for (int i = 0; i < n; i++)
        d[i] /= largest;
    for (int i = 0; i + 1 < n; i++)
        e[i] /= largest;

    const int m = n / 2, rest = n - m;
    double rho = e[m - 1];
    d[m - 1] -= fabs(rho);
    d[m] -= fabs(rho);
    for (int j = 0; j < n; j++) { /* the off-diagonal blocks: zero */
        double *column = z + (size_t)j * (size_t)n;
        if (j < m)
            memset(column + m, 0, (size_t)rest * sizeof *column);
        else
            memset(column, 0, (size_t)m * sizeof *column);
    }
    int *iwork = NULL;
    ntk_status status = NTK_CALLOC(iwork, 6 + 6 * (size_t)n, "divide and conquer integers");
    if (status != NTK_OK)
        return status;
    half_problem halves[2] = {
        {.n = m, .ldz = n, .d = d, .e = e, .z = z, .work = work, .iwork = iwork},
        {.n = rest, .ldz = n, .d = d + m, .e = e + m, .z = z + m + (size_t)m * (size_t)n,
         .work = work + 1 + 4 * (size_t)m + (size_t)m * (size_t)m, .iwork = iwork + 3 + 5 * m}};
    const int before = ntk_blas_threads();
    ntk_blas_set_threads(1);
    pthread_t helper;
    const int started = pthread_create(&helper, NULL, solve_half, &halves[1]) == 0;
    solve_half(&halves[0]);
    if (started)
        pthread_join(helper, NULL);
    else
        solve_half(&halves[1]);
    ntk_blas_set_threads(before);
    status = grid_check_scalapack("dstedc (first half)", halves[0].info);
    if (status == NTK_OK)
        status = grid_check_scalapack("dstedc (second half)", halves[1].info);

    int *order = iwork + 6 + 5 * (size_t)n; /* dlaed1's INDXQ */
    if (status == NTK_OK) {
        for (int i = 0; i < m; i++)
            order[i] = i + 1;
        for (int i = 0; i < rest; i++)
            order[m + i] = i + 1;
        int *merge_iwork = NULL;
        status = NTK_CALLOC(merge_iwork, 4 * (size_t)n, "dlaed1 integers");
        if (status == NTK_OK) {
            dlaed1_(&n, d, z, &n, order, &rho, &m, work, merge_iwork, &info);
            status = grid_check_scalapack("dlaed1 (merging the halves)", info);
        }
        free(merge_iwork);
    }
    if (status == NTK_OK) {
        permute(n, order, d, z, work);
        for (int i = 0; i < n; i++)
            d[i] *= largest;
    }
    free(iwork);
    return status;
}
