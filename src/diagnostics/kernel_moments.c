/* Traces, norms and inner products of symmetric distributed matrices (see
 * kernels.h). Every rank sums its local entries of the lower triangle,
 * off-diagonal ones counted twice; one MPI_Allreduce adds them up. */
#include <math.h>

#include "diagnostics/kernels.h"

/* sum of w a_ij b_ij over the lower triangle (w = 2 off the diagonal), for
 * the pairs (a, a), (b, b), (a, b) and (b - a, b - a); b may be NULL. */
static void lower_sums(const ntk_grid *grid, const ntk_dmatrix *a, const ntk_dmatrix *b,
                       double sums[5])
{
    const int64_t lld = a->local_rows > 1 ? a->local_rows : 1;
    for (int s = 0; s < 5; ++s)
        sums[s] = 0.0;
    for (int64_t lj = 0; lj < a->local_cols; ++lj) {
        const int64_t j = grid_global_index(lj, grid->block, grid->mycol, grid->cols);
        for (int64_t li = 0; li < a->local_rows; ++li) {
            const int64_t i = grid_global_index(li, grid->block, grid->myrow, grid->rows);
            if (i < j)
                continue;
            const double weight = i == j ? 1.0 : 2.0;
            const double x = a->data[lj * lld + li];
            if (i == j)
                sums[0] += x;
            sums[1] += weight * x * x;
            if (b != NULL) {
                const double y = b->data[lj * lld + li];
                sums[2] += weight * y * y;
                sums[3] += weight * x * y;
                sums[4] += weight * (y - x) * (y - x);
            }
        }
    }
}

ntk_status diagnostics_trace_and_norm(const ntk_grid *grid, const ntk_dmatrix *a, double *trace,
                                      double *frobenius_squared)
{
    double local[5], total[5];
    lower_sums(grid, a, NULL, local);
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
    lower_sums(grid, a, b, local);
    NTK_MPI(MPI_Allreduce(local, total, 5, MPI_DOUBLE, MPI_SUM, grid->comm));
    const double norms = sqrt(total[1]) * sqrt(total[2]);
    distance->kernel_distance = norms > 0.0 ? 1.0 - total[3] / norms : NAN;
    distance->relative_frobenius = total[1] > 0.0 ? sqrt(total[4]) / sqrt(total[1]) : NAN;
    return NTK_OK;
}
