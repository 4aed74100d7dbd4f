/* Traces, norms and inner products of symmetric distributed matrices (see
 * kernels.h). Every rank sums its local entries of the lower triangle,
 * off-diagonal ones counted twice; one MPI_Allreduce adds them up. */
#include <math.h>
#include <stdlib.h>

#include "diagnostics/kernels.h"
#include "diagnostics/local_index.h"

/* sum of w a_ij b_ij over the lower triangle (w = 2 off the diagonal), for
 * the pairs (a, a), (b, b), (a, b) and (b - a, b - a); b may be NULL. Each
 * local column starts at its first row on or below the diagonal (global rows
 * rise with local ones), so the upper triangle is never visited; the entries
 * are summed in the same order as a walk over every row would. */
static ntk_status lower_sums(const ntk_grid *grid, const ntk_dmatrix *a, const ntk_dmatrix *b,
                             double sums[5])
{
    const int64_t lld = a->local_rows > 1 ? a->local_rows : 1;
    for (int s = 0; s < 5; ++s)
        sums[s] = 0.0;
    int64_t *rows = NULL;
    NTK_TRY(diagnostics_global_rows(grid, a, &rows));
    for (int64_t lj = 0; lj < a->local_cols; ++lj) {
        const int64_t j = grid_global_index(lj, grid->block, grid->mycol, grid->cols);
        int64_t li = diagnostics_first_row_at_least(rows, a->local_rows, j);
        const double *x_column = a->data + lj * lld;
        if (li < a->local_rows && rows[li] == j) { /* the diagonal entry, weight 1 */
            const double x = x_column[li];
            sums[0] += x;
            sums[1] += x * x;
            if (b != NULL) {
                const double y = b->data[lj * lld + li];
                sums[2] += y * y;
                sums[3] += x * y;
                sums[4] += (y - x) * (y - x);
            }
            ++li;
        }
        if (b == NULL) {
            for (; li < a->local_rows; ++li)
                sums[1] += 2.0 * x_column[li] * x_column[li];
            continue;
        }
        const double *y_column = b->data + lj * lld;
        for (; li < a->local_rows; ++li) {
            const double x = x_column[li], y = y_column[li];
            sums[1] += 2.0 * x * x;
            sums[2] += 2.0 * y * y;
            sums[3] += 2.0 * x * y;
            sums[4] += 2.0 * (y - x) * (y - x);
        }
    }
    free(rows);
    return NTK_OK;
}

ntk_status diagnostics_trace_and_norm(const ntk_grid *grid, const ntk_dmatrix *a, double *trace,
                                      double *frobenius_squared)
{
    double local[5], total[5];
    NTK_TRY(ntk_agree(lower_sums(grid, a, NULL, local), grid->comm));
    NTK_MPI(MPI_Allreduce(local, total, 2, MPI_DOUBLE, MPI_SUM, grid->comm));
    *trace = total[0];
    *frobenius_squared = total[1];
    return NTK_OK;
}

ntk_status diagnostics_kernel_distance(const ntk_grid *grid, const ntk_dmatrix *a,
                                       const ntk_dmatrix *b, ntk_kernel_distance *distance)
{
    if (a->rows != b->rows || a->cols != b->cols || a->local_rows != b->local_rows ||
        a->local_cols != b->local_cols)
        return NTK_RAISE(NTK_ERR_INTERNAL, "kernel distance: %lld x %lld against %lld x %lld",
                         (long long)a->rows, (long long)a->cols, (long long)b->rows,
                         (long long)b->cols);
    double local[5], total[5];
    NTK_TRY(ntk_agree(lower_sums(grid, a, b, local), grid->comm));
    NTK_MPI(MPI_Allreduce(local, total, 5, MPI_DOUBLE, MPI_SUM, grid->comm));
    const double norms = sqrt(total[1]) * sqrt(total[2]);
    distance->kernel_distance = norms > 0.0 ? 1.0 - total[3] / norms : NAN;
    distance->relative_frobenius = total[1] > 0.0 ? sqrt(total[4]) / sqrt(total[1]) : NAN;
    return NTK_OK;
}
