/* Relative Frobenius distance to the analytic kernel (see compare.h). */
#include "pipeline/compare.h"

#include <math.h>

#include "kernel/analytic.h"

ntk_status compare_with_analytic(const ntk_job *job, const ntk_model *model, const ntk_grid *grid,
                                 const ntk_input_block *inputs, const ntk_dmatrix *theta,
                                 double *distance)
{
    ntk_dmatrix limit;
    NTK_TRY(ntk_agree(dmatrix_create(grid, theta->rows, theta->cols, &limit), grid->comm));
    ntk_kernel_stats stats;
    ntk_status status = kernel_assemble_analytic(job, model, grid, inputs, 1, 0, NULL, &limit,
                                                 &stats);
    if (status != NTK_OK) {
        dmatrix_destroy(&limit);
        return status;
    }
    /* sums[0] = ||Theta - Theta_inf||^2, sums[1] = ||Theta_inf||^2 */
    double sums[2] = {0.0, 0.0};
    for (int64_t c = 0; c < theta->local_cols; ++c) {
        int64_t j = grid_global_index(c, grid->block, grid->mycol, grid->cols);
        for (int64_t r = 0; r < theta->local_rows; ++r) {
            int64_t i = grid_global_index(r, grid->block, grid->myrow, grid->rows);
            if (i < j)
                continue;
            double weight = (i == j) ? 1.0 : 2.0;
            double inf = limit.data[c * theta->local_rows + r];
            double diff = theta->data[c * theta->local_rows + r] - inf;
            sums[0] += weight * diff * diff;
            sums[1] += weight * inf * inf;
        }
    }
    dmatrix_destroy(&limit);
    double total[2];
    NTK_MPI(MPI_Allreduce(sums, total, 2, MPI_DOUBLE, MPI_SUM, grid->comm));
    *distance = total[1] > 0.0 ? sqrt(total[0] / total[1]) : INFINITY;
    return NTK_OK;
}
