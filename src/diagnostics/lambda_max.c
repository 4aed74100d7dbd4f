/* The largest eigenvalue of a symmetric distributed matrix by Lanczos (see
 * kernels.h).
 *
 * The Lanczos vectors are replicated: M doubles each on every rank, at most
 * max_steps + 1 of them, far less than the local part of an M x M matrix for
 * the sizes ntkgram runs. A product y = A x reads only the lower triangle
 * (each off-diagonal entry acts twice) and ends in one MPI_Allreduce of M
 * doubles; everything else (orthogonalisation, the tridiagonal eigenproblem)
 * is the same computation on every rank from the same reduced vectors, so
 * every rank stops at the same step with the same value. Full
 * reorthogonalisation (twice, classical Gram-Schmidt) keeps the Ritz values
 * free of the ghost copies plain Lanczos produces in floating point.
 *
 * The stopping test is the standard a-posteriori bound: the largest Ritz
 * value theta of T_j with eigenvector s satisfies |theta - lambda| <=
 * |beta_j s_j| for some eigenvalue lambda of A, and Ritz values never exceed
 * lambda_max. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/lapack.h"
#include "core/random.h"
#include "diagnostics/kernels.h"

/* The start vector's stream of the counter-based RNG. */
#define LANCZOS_SEED 0x4c414e43ULL
#define LANCZOS_STREAM 1

typedef struct {
    int64_t *row_global, *col_global; /* global index of each local row / column */
    int64_t *first_row;               /* per local column: its first local row on or below the diagonal */
    double *x_rows, *y_rows;          /* x at the local rows, and this rank's share of A x there */
    double *partial;                  /* M: this rank's share of A x */
} lanczos_product;

/* y = A x from the lower triangle: per local column j, the rows i >= j
 * give y_i += a_ij x_j and (i > j) y_j += a_ij x_i, two fused contiguous
 * loops over the column. Collective. */
static ntk_status product(const ntk_grid *grid, const ntk_dmatrix *a, const lanczos_product *work,
                          const double *x, double *y)
{
    const int64_t m = a->rows, lld = a->local_rows > 1 ? a->local_rows : 1;
    const int64_t rows = a->local_rows;
    memset(work->partial, 0, (size_t)m * sizeof(double));
    for (int64_t li = 0; li < rows; ++li) {
        work->x_rows[li] = x[work->row_global[li]];
        work->y_rows[li] = 0.0;
    }
    double *restrict y_rows = work->y_rows;
    const double *restrict x_rows = work->x_rows;
    for (int64_t lj = 0; lj < a->local_cols; ++lj) {
        const int64_t j = work->col_global[lj];
        const double *restrict column = a->data + lj * lld;
        const double xj = x[j];
        int64_t start = work->first_row[lj];
        double column_sum = 0.0;
        if (start < rows && work->row_global[start] == j) { /* the diagonal entry, once */
            y_rows[start] += column[start] * xj;
            ++start;
        }
        for (int64_t li = start; li < rows; ++li) {
            y_rows[li] += column[li] * xj;
            column_sum += column[li] * x_rows[li];
        }
        work->partial[j] += column_sum;
    }
    for (int64_t li = 0; li < rows; ++li)
        work->partial[work->row_global[li]] += y_rows[li];
    NTK_MPI(MPI_Allreduce(work->partial, y, (int)m, MPI_DOUBLE, MPI_SUM, grid->comm));
    return NTK_OK;
}

static double dot(const double *a, const double *b, int64_t n)
{
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i)
        sum += a[i] * b[i];
    return sum;
}

/* The largest eigenvalue of the j x j tridiagonal (alpha, beta) and the last
 * component of its eigenvector. Rank-local. */
static ntk_status largest_ritz(const double *alpha, const double *beta, int j, double *work,
                               double *theta, double *last_component)
{
    double *d = work, *e = work + j, *z = work + 2 * j, *scratch = work + 2 * j + j * j;
    memcpy(d, alpha, (size_t)j * sizeof(double));
    if (j > 1)
        memcpy(e, beta, (size_t)(j - 1) * sizeof(double));
    int n = j, info = 0;
    dstev_("V", &n, d, e, z, &n, scratch, &info, 1);
    if (info != 0)
        return NTK_RAISE(NTK_ERR_NUMERIC, "lambda_max: LAPACK dstev failed (info %d) on the "
                         "%d x %d Lanczos matrix", info, j, j);
    *theta = d[j - 1];                      /* ascending */
    *last_component = z[(j - 1) * j + j - 1]; /* column j - 1, row j - 1 */
    return NTK_OK;
}

ntk_status diagnostics_lambda_max(const ntk_grid *grid, const ntk_dmatrix *a, double tolerance,
                                  int max_steps, double *lambda_max, int *steps, double *residual)
{
    const int64_t m = a->rows;
    *lambda_max = NAN;
    *steps = 0;
    *residual = NAN;
    if (m < 1)
        return NTK_OK;
    if ((int64_t)max_steps > m)
        max_steps = (int)m;
    if (max_steps < 1)
        max_steps = 1;
    lanczos_product work = {NULL, NULL, NULL, NULL, NULL, NULL};
    double *basis = NULL, *w = NULL, *alpha = NULL, *beta = NULL, *ritz = NULL;
    const int64_t ms = max_steps;
    ntk_status status = NTK_CALLOC(work.row_global, a->local_rows + 1, "Lanczos index");
    if (status == NTK_OK)
        status = NTK_CALLOC(work.col_global, a->local_cols + 1, "Lanczos index");
    if (status == NTK_OK)
        status = NTK_CALLOC(work.first_row, a->local_cols + 1, "Lanczos index");
    if (status == NTK_OK)
        status = NTK_CALLOC(work.x_rows, a->local_rows + 1, "Lanczos product");
    if (status == NTK_OK)
        status = NTK_CALLOC(work.y_rows, a->local_rows + 1, "Lanczos product");
    if (status == NTK_OK)
        status = NTK_CALLOC(work.partial, m, "Lanczos product");
    if (status == NTK_OK)
        status = NTK_CALLOC(basis, (ms + 1) * m, "Lanczos vectors");
    if (status == NTK_OK)
        status = NTK_CALLOC(w, m, "Lanczos vector");
    if (status == NTK_OK)
        status = NTK_CALLOC(alpha, ms + 1, "Lanczos matrix");
    if (status == NTK_OK)
        status = NTK_CALLOC(beta, ms + 1, "Lanczos matrix");
    if (status == NTK_OK)
        status = NTK_CALLOC(ritz, 2 * ms + ms * ms + 2 * ms + 1, "Lanczos matrix");
    NTK_TRY_GOTO(status, ntk_agree(status, grid->comm), done);
    for (int64_t li = 0; li < a->local_rows; ++li)
        work.row_global[li] = grid_global_index(li, grid->block, grid->myrow, grid->rows);
    for (int64_t lj = 0, first = 0; lj < a->local_cols; ++lj) {
        work.col_global[lj] = grid_global_index(lj, grid->block, grid->mycol, grid->cols);
        /* global rows rise with local ones, and so do the columns' */
        while (first < a->local_rows && work.row_global[first] < work.col_global[lj])
            ++first;
        work.first_row[lj] = first;
    }

    for (int64_t i = 0; i < m; ++i)
        basis[i] = ntk_random_normal(LANCZOS_SEED, LANCZOS_STREAM, (uint64_t)i);
    const double start_norm = sqrt(dot(basis, basis, m));
    for (int64_t i = 0; i < m; ++i)
        basis[i] /= start_norm;

    double theta = 0.0, bound = 0.0;
    for (int j = 0; j < max_steps; ++j) {
        const double *v = basis + (int64_t)j * m;
        NTK_TRY_GOTO(status, product(grid, a, &work, v, w), done);
        alpha[j] = dot(w, v, m);
        for (int pass = 0; pass < 2; ++pass)
            for (int i = 0; i <= j; ++i) {
                const double *u = basis + (int64_t)i * m;
                const double coefficient = dot(w, u, m);
                for (int64_t e = 0; e < m; ++e)
                    w[e] -= coefficient * u[e];
            }
        beta[j] = sqrt(dot(w, w, m));
        double last = 0.0;
        NTK_TRY_GOTO(status, largest_ritz(alpha, beta, j + 1, ritz, &theta, &last), done);
        bound = fabs(beta[j] * last);
        *steps = j + 1;
        /* An invariant subspace (beta ~ 0 against the matrix's scale) makes
         * theta exact; so does a zero matrix. */
        const double scale = fabs(theta) > fabs(alpha[0]) ? fabs(theta) : fabs(alpha[0]);
        if (bound <= tolerance * fabs(theta) || beta[j] <= 1e-14 * scale || scale == 0.0)
            break;
        double *next = basis + (int64_t)(j + 1) * m;
        for (int64_t e = 0; e < m; ++e)
            next[e] = w[e] / beta[j];
    }
    if (!isfinite(theta))
        status = NTK_RAISE(NTK_ERR_NUMERIC, "lambda_max: the Lanczos value is not finite");
    *lambda_max = theta;
    *residual = bound;
    status = ntk_agree(status, grid->comm);

done:
    free(work.row_global);
    free(work.col_global);
    free(work.first_row);
    free(work.x_rows);
    free(work.y_rows);
    free(work.partial);
    free(basis);
    free(w);
    free(alpha);
    free(beta);
    free(ritz);
    return status;
}
