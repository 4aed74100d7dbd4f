/* The explicit-Jacobian empirical NTK: the general method and the
 * cross-check of the structured one.
 *
 * The raw inputs behind the local rows and columns are delivered with
 * kernel_exchange; then, per chunk of kernel.jacobian_chunk parameters (the
 * steps), the Jacobian rows of the local rows and columns are computed by
 * model_jacobian_rows (its own forward/backward pass per input) and
 *     Theta_local += J_rows J_cols^T
 * as one DGEMM per local column block (only the rows at or below the block's
 * first column when the lower triangle is enough). For trace kernels a row is
 * an input x and its Jacobian is the k x chunk block of all logits, read as one
 * vector: the inner product then sums over o, scaled by 1/k (the mean).
 *
 * Memory: (local rows + local columns) x chunk doubles (x k for trace), which
 * is what kernel.jacobian_chunk bounds. Steps add into Theta, so a resumed run
 * continues from the stored sum and repeats the same additions in the same
 * order: bit-for-bit the same result. */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kernel_local.h"

/* Jacobian rows of parameters [first, first + length) for every local row
 * (or column) of `axis`, `depth` doubles apart. */
static ntk_status jacobian_fill(const ntk_model *model, const ntk_item_set *set,
                                const kernel_local_axis *axis, int full, int64_t first,
                                int64_t length, int64_t depth, double *scratch, double *jac)
{
    const int64_t dim = model->width[0];
    if (!full) {
        /* Local rows are exactly the delivered items, in the same order. */
        NTK_TRY(model_jacobian_rows(model, set->vectors, set->count, first, length, jac));
        return NTK_OK;
    }
    int64_t computed = -1;
    for (int64_t i = 0; i < axis->count; ++i) {
        if (axis->position[i] != computed) {
            computed = axis->position[i];
            NTK_TRY(model_jacobian_rows(model, set->vectors + computed * dim, 1, first, length, scratch));
        }
        memcpy(jac + i * depth, scratch + axis->output[i] * length, (size_t)length * sizeof(double));
    }
    return NTK_OK;
}

/* The parameters whose Jacobian columns make the kernel: all of them, or
 * layer config->only_layer's weights and bias (Theta_l). */
static void jacobian_parameter_range(const ntk_kernel_config *config, const ntk_model *model,
                                     int64_t *first, int64_t *count)
{
    const int l = config->only_layer;
    if (l < 1 || l > model->n_layers) {
        *first = 0;
        *count = model->n_params;
        return;
    }
    *first = model_param_offset(model, l);
    *count = model_param_offset(model, l + 1) - *first;
}

/* Theta_local = sum over chunks of J_rows J_cols^T, the rows' Jacobians
 * from the inputs in `rows`, the columns' from `cols` (the same inputs for
 * Theta, different ones for the cross kernel). Frees neither set. */
static ntk_status jacobian_products(const ntk_kernel_config *config, const ntk_model *model,
                                    const ntk_grid *grid, const ntk_item_set *rows,
                                    const ntk_item_set *cols, int lower_only,
                                    const ntk_assembly_hooks *hooks, ntk_dmatrix *theta,
                                    ntk_kernel_stats *stats)
{
    const int k = model_outputs(model);
    const int full = config->kernel->outputs == NTK_OUTPUTS_FULL;
    const int64_t per_item = full ? k : 1;
    int64_t param_first = 0, n_params = 0;
    jacobian_parameter_range(config, model, &param_first, &n_params);
    const int64_t chunk =
        config->kernel->jacobian_chunk < n_params ? config->kernel->jacobian_chunk : n_params;
    const int64_t steps_total = chunk > 0 ? (n_params + chunk - 1) / chunk : 0;
    const int64_t depth_max = full ? chunk : k * chunk; /* doubles per Jacobian row */
    const int64_t lld = theta->local_rows > 1 ? theta->local_rows : 1;

    kernel_local_axis row_axis = {0}, col_axis = {0};
    double *row_jac = NULL, *col_jac = NULL, *scratch = NULL;
    ntk_status status = kernel_local_axis_create(grid, theta->rows, 1, per_item, rows, &row_axis);
    if (status == NTK_OK)
        status = kernel_local_axis_create(grid, theta->cols, 0, per_item, cols, &col_axis);
    if (status == NTK_OK)
        status = NTK_CALLOC(row_jac, row_axis.count * depth_max + 1, "jacobian rows");
    if (status == NTK_OK)
        status = NTK_CALLOC(col_jac, col_axis.count * depth_max + 1, "jacobian rows");
    if (status == NTK_OK)
        status = NTK_CALLOC(scratch, k * chunk + 1, "jacobian rows");
    NTK_TRY_GOTO(status, ntk_agree(status, grid->comm), done);

    int64_t first_step = hooks ? hooks->first_step : 0;
    if (first_step == 0)
        memset(theta->data, 0, (size_t)(lld * theta->local_cols) * sizeof(double));
    for (int64_t step = first_step; step < steps_total; ++step) {
        const int64_t first = param_first + step * chunk;
        const int64_t length = step * chunk + chunk < n_params ? chunk : n_params - step * chunk;
        const int64_t depth = full ? length : k * length;
        const double jacobian_start = MPI_Wtime(), jacobian_cpu_start = kernel_cpu_seconds();
        status = jacobian_fill(model, rows, &row_axis, full, first, length, depth, scratch, row_jac);
        if (status == NTK_OK)
            status = jacobian_fill(model, cols, &col_axis, full, first, length, depth, scratch, col_jac);
        stats->jacobian_seconds += MPI_Wtime() - jacobian_start;
        stats->jacobian_cpu_seconds += kernel_cpu_seconds() - jacobian_cpu_start;
        NTK_TRY_GOTO(status, ntk_agree(status, grid->comm), done);

        const double products_start = MPI_Wtime(), products_cpu_start = kernel_cpu_seconds();
        for (int64_t c0 = 0; c0 < col_axis.count; c0 += grid->block) {
            int64_t c1 = c0 + grid->block < col_axis.count ? c0 + grid->block : col_axis.count;
            int64_t r0 = lower_only ? kernel_local_axis_lower_bound(&row_axis, col_axis.global[c0]) : 0;
            int64_t m = row_axis.count - r0, w = c1 - c0;
            if (m <= 0)
                continue;
            cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)m, (int)w, (int)depth,
                        full ? 1.0 : 1.0 / k, row_jac + r0 * depth, (int)depth, col_jac + c0 * depth,
                        (int)depth, 1.0, theta->data + c0 * lld + r0, (int)lld);
            stats->flops += 2.0 * (double)m * (double)w * (double)depth;
        }
        stats->products_seconds += MPI_Wtime() - products_start;
        stats->products_cpu_seconds += kernel_cpu_seconds() - products_cpu_start;
        if (hooks && hooks->after_step)
            NTK_TRY_GOTO(status, hooks->after_step(hooks->context, theta, step + 1, steps_total), done);
    }
    NTK_TRY_GOTO(status, kernel_stats_reduce(grid, stats), done);

done:
    free(row_jac);
    free(col_jac);
    free(scratch);
    kernel_local_axis_free(&row_axis);
    kernel_local_axis_free(&col_axis);
    return status;
}

static void jacobian_stats_start(const ntk_kernel_config *config, const ntk_model *model,
                                 ntk_kernel_stats *stats)
{
    int64_t param_first = 0, n_params = 0;
    jacobian_parameter_range(config, model, &param_first, &n_params);
    const int64_t chunk =
        config->kernel->jacobian_chunk < n_params ? config->kernel->jacobian_chunk : n_params;
    kernel_stats_begin(stats, "jacobian", chunk > 0 ? (n_params + chunk - 1) / chunk : 0);
}

ntk_status kernel_assemble_jacobian(const ntk_kernel_config *config, const ntk_model *model,
                                    const ntk_grid *grid, const ntk_input_block *inputs,
                                    int lower_only, const ntk_assembly_hooks *hooks,
                                    ntk_dmatrix *theta, ntk_kernel_stats *stats)
{
    const int64_t per_item = config->kernel->outputs == NTK_OUTPUTS_FULL ? model_outputs(model) : 1;
    jacobian_stats_start(config, model, stats);
    ntk_status status = kernel_check_shapes(config, model, inputs, theta);
    if (status == NTK_OK && config->kernel->jacobian_chunk < 1)
        status = NTK_RAISE(NTK_ERR_INTERNAL, "jacobian kernel: kernel.jacobian_chunk must be >= 1");
    NTK_TRY(ntk_agree(status, grid->comm));

    ntk_item_set rows = {0}, cols = {0};
    NTK_TRY(kernel_exchange(grid, inputs->n, per_item, theta->rows, inputs->dim, inputs->x, &rows, &cols));
    status = jacobian_products(config, model, grid, &rows, &cols, lower_only, hooks, theta, stats);
    kernel_item_set_free(&rows);
    kernel_item_set_free(&cols);
    return status;
}

ntk_status kernel_assemble_jacobian_cross(const ntk_kernel_config *config, const ntk_model *model,
                                          const ntk_grid *grid, const ntk_input_block *rows,
                                          const ntk_input_block *cols,
                                          const ntk_assembly_hooks *hooks, ntk_dmatrix *cross,
                                          ntk_kernel_stats *stats)
{
    const int64_t per_item = config->kernel->outputs == NTK_OUTPUTS_FULL ? model_outputs(model) : 1;
    jacobian_stats_start(config, model, stats);
    NTK_TRY(ntk_agree(config->kernel->jacobian_chunk < 1
                          ? NTK_RAISE(NTK_ERR_INTERNAL, "jacobian kernel: kernel.jacobian_chunk must be >= 1")
                          : NTK_OK,
                      grid->comm));
    ntk_item_set row_set = {0}, col_set = {0};
    ntk_status status = kernel_exchange_axis(grid, rows->n, per_item, cross->rows, rows->dim,
                                             rows->x, 1, &row_set);
    if (status == NTK_OK)
        status = kernel_exchange_axis(grid, cols->n, per_item, cross->cols, cols->dim, cols->x, 0,
                                      &col_set);
    if (status == NTK_OK)
        status = jacobian_products(config, model, grid, &row_set, &col_set, 0, hooks, cross, stats);
    kernel_item_set_free(&row_set);
    kernel_item_set_free(&col_set);
    return status;
}
