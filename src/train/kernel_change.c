/* Relative change of the empirical NTK over training (see kernel_change.h).
 * The Frobenius norms are distributed: every rank sums its local entries of
 * the lower triangle, one MPI_Allreduce adds them up. */
#include "train/kernel_change.h"

#include <math.h>
#include <string.h>

void training_lower_sums(const ntk_grid *grid, const ntk_dmatrix *a, const ntk_dmatrix *b,
                         double *difference2, double *reference2)
{
    const int64_t lld = a->local_rows > 1 ? a->local_rows : 1;
    double difference = 0.0, reference = 0.0;
    for (int64_t lj = 0; lj < a->local_cols; ++lj) {
        const int64_t j = grid_global_index(lj, grid->block, grid->mycol, grid->cols);
        for (int64_t li = 0; li < a->local_rows; ++li) {
            const int64_t i = grid_global_index(li, grid->block, grid->myrow, grid->rows);
            if (i < j)
                continue;
            const double weight = i == j ? 1.0 : 2.0;
            const double value_a = a->data[lj * lld + li];
            if (b != NULL) {
                const double value_b = b->data[lj * lld + li];
                difference += weight * (value_a - value_b) * (value_a - value_b);
                reference += weight * value_b * value_b;
            } else {
                reference += weight * value_a * value_a;
            }
        }
    }
    *difference2 = difference;
    *reference2 = reference;
}

ntk_status training_relative_distance(const ntk_grid *grid, const ntk_dmatrix *a,
                                      const ntk_dmatrix *b, double *distance)
{
    double local[2] = {0.0, 0.0}, total[2] = {0.0, 0.0};
    training_lower_sums(grid, a, b, &local[0], &local[1]);
    NTK_MPI(MPI_Allreduce(local, total, 2, MPI_DOUBLE, MPI_SUM, grid->comm));
    if (total[1] > 0.0)
        *distance = sqrt(total[0]) / sqrt(total[1]);
    else
        *distance = total[0] > 0.0 ? INFINITY : 0.0;
    return NTK_OK;
}

ntk_status training_kernel_change(const ntk_job *job, const ntk_model *model,
                                  const ntk_grid *grid, const ntk_input_block *inputs,
                                  const ntk_dmatrix *theta_initial, double *change)
{
    *change = -1.0;
    ntk_dmatrix theta_trained;
    memset(&theta_trained, 0, sizeof theta_trained);
    NTK_TRY(ntk_agree(dmatrix_create(grid, theta_initial->rows, theta_initial->cols,
                                     &theta_trained),
                      grid->comm));
    ntk_assembly_hooks no_hooks = {0, NULL, NULL};
    ntk_kernel_stats stats;
    memset(&stats, 0, sizeof stats);
    ntk_status status = kernel_assemble(job, model, grid, inputs, 1, &no_hooks, &theta_trained,
                                        &stats);
    if (status != NTK_OK) {
        dmatrix_destroy(&theta_trained);
        return ntk_trace(status, __FILE__, __LINE__, __func__);
    }

    status = training_relative_distance(grid, &theta_trained, theta_initial, change);
    dmatrix_destroy(&theta_trained);
    NTK_TRY(status);
    return NTK_OK;
}
