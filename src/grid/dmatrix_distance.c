/* Relative Frobenius distance of two symmetric distributed matrices (see
 * grid.h). Every rank sums its local entries of the lower triangle, counting
 * off-diagonal ones twice; one MPI_Allreduce adds them up. */
#include <math.h>

#include "grid/grid.h"

ntk_status dmatrix_relative_distance_lower(const ntk_grid *grid, const ntk_dmatrix *a,
                                           const ntk_dmatrix *b, double *distance)
{
    const int64_t lld = a->local_rows > 1 ? a->local_rows : 1;
    double local[2] = {0.0, 0.0}; /* ||A - B||^2, ||B||^2 */
    for (int64_t lj = 0; lj < a->local_cols; ++lj) {
        const int64_t j = grid_global_index(lj, grid->block, grid->mycol, grid->cols);
        for (int64_t li = 0; li < a->local_rows; ++li) {
            const int64_t i = grid_global_index(li, grid->block, grid->myrow, grid->rows);
            if (i < j)
                continue;
            const double weight = i == j ? 1.0 : 2.0;
            const double value_a = a->data[lj * lld + li], value_b = b->data[lj * lld + li];
            local[0] += weight * (value_a - value_b) * (value_a - value_b);
            local[1] += weight * value_b * value_b;
        }
    }
    double total[2] = {0.0, 0.0};
    NTK_MPI(MPI_Allreduce(local, total, 2, MPI_DOUBLE, MPI_SUM, grid->comm));
    if (total[1] > 0.0)
        *distance = sqrt(total[0]) / sqrt(total[1]);
    else
        *distance = total[0] > 0.0 ? INFINITY : 0.0;
    return NTK_OK;
}
