/* Local row/column bookkeeping shared by the empirical kernel methods (see
 * kernel_local.h). */
#include "kernel/kernel_local.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

ntk_status kernel_local_axis_create(const ntk_grid *grid, int64_t matrix_size, int by_rows,
                                    int64_t per_item, const ntk_item_set *set,
                                    kernel_local_axis *axis)
{
    int proc = by_rows ? grid->myrow : grid->mycol;
    int nprocs = by_rows ? grid->rows : grid->cols;
    axis->count = grid_local_count(matrix_size, grid->block, proc, nprocs);
    axis->global = NULL;
    axis->position = NULL;
    axis->output = NULL;
    NTK_TRY(NTK_CALLOC(axis->global, axis->count + 1, "local index map"));
    NTK_TRY(NTK_CALLOC(axis->position, axis->count + 1, "local index map"));
    NTK_TRY(NTK_CALLOC(axis->output, axis->count + 1, "local index map"));
    /* Local indices rise with global ones, so one merge pass finds every position. */
    int64_t cursor = 0;
    for (int64_t local = 0; local < axis->count; ++local) {
        int64_t global = grid_global_index(local, grid->block, proc, nprocs);
        int64_t item = global / per_item;
        while (cursor < set->count && set->item[cursor] < item)
            ++cursor;
        if (cursor == set->count || set->item[cursor] != item)
            return NTK_RAISE(NTK_ERR_INTERNAL, "kernel: input %lld of local row/column %lld was not delivered",
                             (long long)item, (long long)global);
        axis->global[local] = global;
        axis->position[local] = cursor;
        axis->output[local] = (int)(global % per_item);
    }
    return NTK_OK;
}

void kernel_local_axis_free(kernel_local_axis *axis)
{
    free(axis->global);
    free(axis->position);
    free(axis->output);
    axis->global = axis->position = NULL;
    axis->output = NULL;
    axis->count = 0;
}

int64_t kernel_local_axis_lower_bound(const kernel_local_axis *axis, int64_t global)
{
    int64_t low = 0, high = axis->count;
    while (low < high) {
        int64_t middle = low + (high - low) / 2;
        if (axis->global[middle] < global)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

ntk_status kernel_check_shapes(const ntk_kernel_config *config, const ntk_model *model,
                               const ntk_input_block *inputs, const ntk_dmatrix *theta)
{
    int k = model_outputs(model);
    int64_t m = kernel_rows(config, inputs->n, k);
    if (theta->rows != m || theta->cols != m)
        return NTK_RAISE(NTK_ERR_INTERNAL, "kernel: theta is %lld x %lld, expected %lld x %lld",
                         (long long)theta->rows, (long long)theta->cols, (long long)m, (long long)m);
    if (inputs->dim != model->width[0])
        return NTK_RAISE(NTK_ERR_INTERNAL, "kernel: inputs have %lld columns, the model expects %lld",
                         (long long)inputs->dim, (long long)model->width[0]);
    return NTK_OK;
}

void kernel_stats_begin(ntk_kernel_stats *stats, const char *method, int64_t steps_total)
{
    stats->method = method;
    stats->flops = stats->flops_total = 0.0;
    stats->steps_total = steps_total;
    stats->timed = strcmp(method, "structured") == 0 || strcmp(method, "jacobian") == 0;
    stats->jacobian_seconds = stats->products_seconds = 0.0;
    stats->jacobian_seconds_max = stats->products_seconds_max = 0.0;
    stats->jacobian_seconds_sum = stats->products_seconds_sum = 0.0;
    stats->jacobian_cpu_seconds = stats->products_cpu_seconds = 0.0;
    stats->chunk_passes = 0;
}

double kernel_cpu_seconds(void)
{
    struct timespec now;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now) != 0)
        return 0.0; /* no CPU clock: the CPU parts stay 0 (summary prints them so) */
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

ntk_status kernel_stats_reduce(const ntk_grid *grid, ntk_kernel_stats *stats)
{
    NTK_MPI(MPI_Allreduce(&stats->flops, &stats->flops_total, 1, MPI_DOUBLE, MPI_SUM, grid->comm));
    const double mine[2] = {stats->jacobian_seconds, stats->products_seconds};
    double most[2] = {0.0, 0.0}, sum[2] = {0.0, 0.0};
    NTK_MPI(MPI_Allreduce(mine, most, 2, MPI_DOUBLE, MPI_MAX, grid->comm));
    NTK_MPI(MPI_Allreduce(mine, sum, 2, MPI_DOUBLE, MPI_SUM, grid->comm));
    stats->jacobian_seconds_max = most[0];
    stats->products_seconds_max = most[1];
    stats->jacobian_seconds_sum = sum[0];
    stats->products_seconds_sum = sum[1];
    const double cpu[2] = {stats->jacobian_cpu_seconds, stats->products_cpu_seconds};
    double cpu_sum[2] = {0.0, 0.0};
    NTK_MPI(MPI_Allreduce(cpu, cpu_sum, 2, MPI_DOUBLE, MPI_SUM, grid->comm));
    stats->jacobian_cpu_seconds = cpu_sum[0];
    stats->products_cpu_seconds = cpu_sum[1];
    return NTK_OK;
}
