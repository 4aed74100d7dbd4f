/* The analytic (infinite-width) kernel as a distributed matrix, in the same
 * block-cyclic layout, step structure and hooks as the empirical kernels.
 *
 * Every rank starts with its own block of inputs; kernel_exchange delivers
 * the inputs of the items behind its local rows and columns. Step s then
 * fills local column block s: per step, each distinct (row item, column
 * item) pair is evaluated once (outputs: full repeats it on the k diagonal
 * logit pairs and is zero elsewhere) and always with the smaller item first,
 * so the matrix is exactly symmetric even where quadrature is not.
 *
 * Conv nets (the spatial recursion) ship each input with its statistics,
 * the variances per position at every activation, computed once by the rank
 * that owns the input (own_vectors) rather than once per pair. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/analytic.h"
#include "kernel/kernel_local.h"

/* Position of each local row/column's item in an ascending item set. */
static void map_items(const ntk_item_set *set, int64_t local_count, int block, int proc,
                      int nprocs, int64_t per_item, int64_t *position)
{
    int64_t cursor = 0;
    for (int64_t local = 0; local < local_count; local++) {
        int64_t item = grid_global_index(local, block, proc, nprocs) / per_item;
        while (cursor < set->count && set->item[cursor] < item)
            cursor++;
        position[local] = cursor; /* global indices rise with local ones */
    }
}

/* How a pair is evaluated: the scalar recursion of dense nets on the
 * inputs, or the spatial one on the inputs followed by their statistics
 * (analytic_spatial.c). */
typedef struct {
    const analytic_spatial_plan *plan; /* NULL: scalar recursion */
    ntk_analytic_context context;
    double *work;
} analytic_evaluator;

typedef struct {
    const ntk_kernel_config *config;
    const ntk_grid *grid;
    int64_t dim, per_item;
    int64_t width; /* of an item's vector: the input, then its statistics */
    const analytic_evaluator *evaluator;
    int want_nngp, lower_only;
    int cross; /* rows and columns are different inputs: no symmetry to keep */
    const ntk_item_set *rows, *cols;
    const int64_t *row_position, *col_position;
    double *pair_cache;  /* rows->count x (block + 2) values of the current step */
    int64_t cache_width;
    ntk_dmatrix *nngp_too;    /* the NNGP kernel from the same evaluations, or NULL */
    double *nngp_cache;       /* its values, as pair_cache */
} analytic_fill;

/* Fill local column block `step` and count the pairs evaluated into `pairs`;
 * NTK_ERR_NUMERIC if a value is not finite. Rank-local. */
static ntk_status fill_step(const analytic_fill *fill, ntk_dmatrix *matrix, int64_t step,
                            int64_t *pairs)
{
    ntk_dmatrix *nngp_too = fill->nngp_too;
    *pairs = 0;
    const ntk_grid *grid = fill->grid;
    int64_t first_col = step * grid->block;
    int64_t end_col = first_col + grid->block;
    if (end_col > matrix->local_cols)
        end_col = matrix->local_cols;
    if (first_col >= end_col)
        return NTK_OK;
    int64_t col_block = step * grid->cols + grid->mycol; /* global block index */
    int64_t first_col_position = fill->col_position[first_col];

    for (int64_t n = 0; n < fill->rows->count * fill->cache_width; n++)
        fill->pair_cache[n] = NAN; /* NaN = not evaluated yet */

    const ntk_model_spec *spec = fill->config->model;
    const analytic_evaluator *evaluator = fill->evaluator;
    int order = fill->config->kernel->quadrature_order;
    int64_t lld = matrix->local_rows > 1 ? matrix->local_rows : 1;
    for (int64_t lc = first_col; lc < end_col; lc++) {
        int64_t j = grid_global_index(lc, grid->block, grid->mycol, grid->cols);
        int64_t col_item_slot = fill->col_position[lc] - first_col_position;
        const double *x_col = fill->cols->vectors + fill->col_position[lc] * fill->width;
        int64_t col_item = fill->cols->item[fill->col_position[lc]];
        double *column = matrix->data + lc * lld;
        double *nngp_column = nngp_too ? nngp_too->data + lc * lld : NULL;
        for (int64_t lr = 0; lr < matrix->local_rows; lr++) {
            int64_t i = grid_global_index(lr, grid->block, grid->myrow, grid->rows);
            if (fill->lower_only && i / grid->block < col_block)
                continue; /* block wholly above the diagonal: never read */
            if (i % fill->per_item != j % fill->per_item) {
                column[lr] = 0.0; /* different logits: independent in the limit */
                if (nngp_column)
                    nngp_column[lr] = 0.0;
                continue;
            }
            int64_t row_slot = fill->row_position[lr];
            double *cached = &fill->pair_cache[row_slot * fill->cache_width + col_item_slot];
            if (isnan(*cached)) {
                const double *x_row = fill->rows->vectors + row_slot * fill->width;
                int64_t row_item = fill->rows->item[row_slot];
                /* Cross kernels: the column's (training) input first, as in
                 * the joint kernel of both sets, where it has the smaller
                 * index; quadrature is not exactly symmetric. */
                int row_first = !fill->cross && row_item <= col_item;
                const double *first = row_first ? x_row : x_col;
                const double *second = row_first ? x_col : x_row;
                if (!fill->cross && row_item == col_item)
                    second = first; /* lets analytic_pair skip the variances */
                double theta = 0.0, nngp = 0.0;
                if (evaluator->plan != NULL)
                    analytic_spatial_pair(evaluator->plan, &evaluator->context, first, second,
                                          first + fill->dim, second + fill->dim,
                                          fill->config->only_layer, evaluator->work,
                                          fill->want_nngp ? NULL : &theta,
                                          fill->want_nngp || nngp_too ? &nngp : NULL);
                else
                    analytic_pair_layer(spec, fill->dim, order, first, second,
                                        fill->config->only_layer, &theta, &nngp);
                double value = fill->want_nngp ? nngp : theta;
                if (!isfinite(value))
                    return NTK_RAISE(NTK_ERR_NUMERIC,
                                     "analytic kernel: non-finite %s value for inputs %lld and "
                                     "%lld (model.w_std / model.b_std too large for this depth?)",
                                     fill->want_nngp ? "NNGP" : "NTK", (long long)row_item,
                                     (long long)col_item);
                if (nngp_too && !isfinite(nngp))
                    return NTK_RAISE(NTK_ERR_NUMERIC,
                                     "analytic kernel: non-finite NNGP value for inputs %lld and "
                                     "%lld (model.w_std / model.b_std too large for this depth?)",
                                     (long long)row_item, (long long)col_item);
                *cached = value;
                if (nngp_too)
                    fill->nngp_cache[cached - fill->pair_cache] = nngp;
                (*pairs)++;
            }
            column[lr] = *cached;
            if (nngp_column)
                nngp_column[lr] = fill->nngp_cache[cached - fill->pair_cache];
        }
    }
    return NTK_OK;
}

static ntk_status check_config(const ntk_kernel_config *config, const ntk_input_block *inputs,
                               int64_t matrix_rows, int64_t matrix_cols, int64_t per_item,
                               int spatial)
{
    const ntk_model_spec *spec = config->model;
    if (spec->parameterization != NTK_PARAM_NTK)
        return NTK_RAISE(NTK_ERR_JOB,
                         "%s:%d:%d: model.parameterization: kernel.kind analytic is the "
                         "infinite-width limit of the ntk parameterisation; set it to ntk",
                         spec->where.file, spec->where.line, spec->where.column);
    if (inputs->dim < 1 || (spec->n_dense < 1 && spec->n_layers < 1))
        return NTK_RAISE(NTK_ERR_INTERNAL, "analytic kernel: empty inputs or model");
    int bad = 0;
    if (!spatial && !analytic_supported(spec, &bad))
        return NTK_RAISE(NTK_ERR_JOB,
                         "%s:%d:%d: model.layers[%d]: kernel.kind analytic: %s layers have no "
                         "infinite-width kernel in ntkgram; use kernel.kind: empirical",
                         spec->where.file, spec->where.line, spec->where.column, bad,
                         spec->layers[bad].ops->name);
    if (matrix_rows != inputs->n * per_item || matrix_cols != matrix_rows)
        return NTK_RAISE(NTK_ERR_INTERNAL,
                         "analytic kernel: matrix is %lld x %lld, expected %lld square",
                         (long long)matrix_rows, (long long)matrix_cols,
                         (long long)(inputs->n * per_item));
    return NTK_OK;
}

/* The column blocks of `matrix` as steps, from the delivered row and column
 * items (freed here): inputs of `dim` values, followed by their statistics
 * for the spatial recursion. */
static ntk_status analytic_run(const ntk_kernel_config *config, const ntk_grid *grid,
                               ntk_item_set rows, ntk_item_set cols, int64_t dim, int64_t width,
                               const analytic_evaluator *evaluator, double pair_flops,
                               int64_t per_item, int want_nngp, int lower_only, int cross,
                               const ntk_assembly_hooks *hooks, ntk_dmatrix *matrix,
                               ntk_kernel_stats *stats)
{
    int64_t steps_total = kernel_analytic_steps(grid, matrix->cols);
    ntk_status status = NTK_OK;
    int64_t *row_position = NULL, *col_position = NULL;
    double *pair_cache = NULL, *nngp_cache = NULL;
    int64_t cache_width = grid->block + 2; /* items a column block can span */
    ntk_dmatrix *nngp_too = hooks && !want_nngp ? hooks->nngp : NULL;
    status = NTK_CALLOC(row_position, matrix->local_rows + 1, "analytic kernel row map");
    if (status == NTK_OK)
        status = NTK_CALLOC(col_position, matrix->local_cols + 1, "analytic kernel column map");
    if (status == NTK_OK)
        status = NTK_CALLOC(pair_cache, (rows.count + 1) * cache_width, "analytic kernel pair cache");
    if (status == NTK_OK && nngp_too != NULL)
        status = NTK_CALLOC(nngp_cache, (rows.count + 1) * cache_width, "analytic NNGP pair cache");
    if (status == NTK_OK && nngp_too != NULL &&
        (nngp_too->local_rows != matrix->local_rows || nngp_too->local_cols != matrix->local_cols))
        status = NTK_RAISE(NTK_ERR_INTERNAL, "analytic kernel: the NNGP matrix's layout is not "
                           "Theta's");
    NTK_TRY_GOTO(status, ntk_agree(status, grid->comm), done);
    map_items(&rows, matrix->local_rows, grid->block, grid->myrow, grid->rows, per_item,
              row_position);
    map_items(&cols, matrix->local_cols, grid->block, grid->mycol, grid->cols, per_item,
              col_position);

    analytic_fill fill = {config, grid, dim, per_item, width, evaluator, want_nngp, lower_only,
                          cross, &rows, &cols, row_position, col_position, pair_cache,
                          cache_width, nngp_too, nngp_cache};
    double pairs_done = 0.0;
    int64_t first_step = hooks ? hooks->first_step : 0;
    for (int64_t step = first_step; step < steps_total; step++) {
        int64_t pairs = 0;
        const int skipped = hooks && hooks->skip_step && hooks->skip_step[step];
        if (!skipped)
            NTK_TRY_GOTO(status, ntk_agree(fill_step(&fill, matrix, step, &pairs), grid->comm),
                         done);
        pairs_done += (double)pairs;
        if (hooks && hooks->after_step) {
            NTK_TRY_GOTO(status, hooks->after_step(hooks->context, matrix, step + 1, steps_total),
                         done);
        }
    }

    if (stats) {
        stats->flops = pairs_done * pair_flops;
        double total = 0.0;
        NTK_MPI_GOTO(status,
                     MPI_Allreduce(&stats->flops, &total, 1, MPI_DOUBLE, MPI_SUM, grid->comm),
                     done);
        stats->flops_total = total;
    }

done:
    free(row_position);
    free(col_position);
    free(pair_cache);
    free(nngp_cache);
    kernel_item_set_free(&rows);
    kernel_item_set_free(&cols);
    return status;
}

int64_t kernel_analytic_steps(const ntk_grid *grid, int64_t cols)
{
    int64_t n_blocks = (cols + grid->block - 1) / grid->block;
    return (n_blocks + grid->cols - 1) / grid->cols;
}

static void analytic_stats_start(const ntk_grid *grid, const ntk_dmatrix *matrix,
                                 ntk_kernel_stats *stats)
{
    if (stats)
        kernel_stats_begin(stats, "analytic", kernel_analytic_steps(grid, matrix->cols));
}

/* What both assemblies decide first: the input shape (the built model's;
 * flat without a model), the recursion and, for the spatial one, its plan
 * and work buffer; the logits k. Rank-local. */
typedef struct {
    ntk_shape input;
    int spatial;
    analytic_spatial_plan plan;
    analytic_evaluator evaluator;
    int64_t k;
    double pair_flops;
} analytic_setup;

static ntk_status setup_make(const ntk_kernel_config *config, const ntk_model *model, int64_t dim,
                             analytic_setup *setup)
{
    const ntk_model_spec *spec = config->model;
    memset(&setup->evaluator, 0, sizeof setup->evaluator);
    if (model != NULL && model->n_stack > 0)
        setup->input = model->stack[0].in;
    else
        setup->input = (ntk_shape){1, {dim, 0, 0}, dim};
    if (setup->input.size != dim)
        return NTK_RAISE(NTK_ERR_INTERNAL, "analytic kernel: model inputs of %lld values, data "
                         "of %lld", (long long)setup->input.size, (long long)dim);
    setup->spatial = analytic_uses_spatial(spec, &setup->input);
    const int order = config->kernel->quadrature_order;
    setup->k = spec->n_dense > 0 ? spec->width[spec->n_dense - 1] : 1;
    if (setup->spatial) {
        NTK_TRY(analytic_spatial_plan_make(spec, &setup->input,
                                           config->kernel->outputs == NTK_OUTPUTS_FULL, order,
                                           &setup->plan));
        setup->k = setup->plan.stack[setup->plan.n_layers - 1].out.size;
        setup->evaluator.plan = &setup->plan;
        setup->evaluator.context = (ntk_analytic_context){spec->w_std, spec->b_std, order,
                                                          analytic_expect_with};
        setup->pair_flops = setup->plan.flops_per_pair;
    } else {
        setup->pair_flops = analytic_pair_flops(spec, &setup->input, order);
    }
    return analytic_prepare(spec, order);
}

/* The vectors an input set ships: each own input followed by its statistics
 * (computed here, once per input, on the rank that owns it), or the inputs
 * themselves for the scalar recursion (*vectors = NULL then). */
static ntk_status own_vectors(const analytic_setup *setup, const ntk_input_block *inputs,
                              double **vectors, int64_t *width)
{
    *vectors = NULL;
    *width = inputs->dim;
    if (!setup->spatial)
        return NTK_OK;
    const analytic_spatial_plan *plan = &setup->plan;
    *width = inputs->dim + plan->stats_size;
    NTK_TRY(NTK_CALLOC(*vectors, inputs->count * *width + 1, "analytic kernel input statistics"));
    for (int64_t i = 0; i < inputs->count; ++i) {
        double *vector = *vectors + i * *width;
        memcpy(vector, inputs->x + i * inputs->dim, (size_t)inputs->dim * sizeof *vector);
        analytic_spatial_self(plan, &setup->evaluator.context, vector, vector + inputs->dim,
                              setup->evaluator.work);
    }
    return NTK_OK;
}

/* Allocate the spatial recursion's work buffer; then the own vectors. */
static ntk_status setup_buffers(analytic_setup *setup, const ntk_input_block *inputs,
                                double **vectors, int64_t *width)
{
    if (setup->spatial)
        NTK_TRY(NTK_CALLOC(setup->evaluator.work,
                           analytic_spatial_work_doubles(&setup->plan) + 1,
                           "analytic kernel work buffer"));
    return own_vectors(setup, inputs, vectors, width);
}

ntk_status kernel_assemble_analytic(const ntk_kernel_config *config, const ntk_model *model,
                                    const ntk_grid *grid, const ntk_input_block *inputs,
                                    int lower_only, int want_nngp,
                                    const ntk_assembly_hooks *hooks, ntk_dmatrix *matrix,
                                    ntk_kernel_stats *stats)
{
    /* The limit depends on the description and the input shape only. */
    analytic_setup *setup = NULL;
    double *vectors = NULL;
    int64_t width = inputs->dim;
    analytic_stats_start(grid, matrix, stats);
    ntk_status status = NTK_CALLOC(setup, 1, "analytic kernel setup");
    if (status == NTK_OK)
        status = setup_make(config, model, inputs->dim, setup);
    int64_t per_item = 1;
    if (status == NTK_OK) {
        per_item = config->kernel->outputs == NTK_OUTPUTS_FULL ? setup->k : 1;
        status = check_config(config, inputs, matrix->rows, matrix->cols, per_item,
                              setup->spatial);
    }
    if (status == NTK_OK)
        status = setup_buffers(setup, inputs, &vectors, &width);
    NTK_TRY_GOTO(status, ntk_agree(status, grid->comm), done);

    ntk_item_set rows = {0}, cols = {0};
    NTK_TRY_GOTO(status,
                 kernel_exchange(grid, inputs->n, per_item, matrix->rows, width,
                                 vectors ? vectors : inputs->x, &rows, &cols),
                 done);
    free(vectors);
    vectors = NULL;
    status = analytic_run(config, grid, rows, cols, inputs->dim, width, &setup->evaluator,
                          setup->pair_flops, per_item, want_nngp, lower_only, 0, hooks, matrix,
                          stats);
done:
    free(vectors);
    if (setup)
        free(setup->evaluator.work);
    free(setup);
    return status;
}

ntk_status kernel_assemble_analytic_cross(const ntk_kernel_config *config, const ntk_model *model,
                                          const ntk_grid *grid, const ntk_input_block *rows,
                                          const ntk_input_block *cols, int want_nngp,
                                          const ntk_assembly_hooks *hooks, ntk_dmatrix *matrix,
                                          ntk_kernel_stats *stats)
{
    analytic_setup *setup = NULL;
    double *row_vectors = NULL, *col_vectors = NULL;
    int64_t width = rows->dim, col_width = cols->dim;
    analytic_stats_start(grid, matrix, stats);
    ntk_status status = NTK_CALLOC(setup, 1, "analytic kernel setup");
    if (status == NTK_OK)
        status = setup_make(config, model, cols->dim, setup);
    int64_t per_item = 1;
    if (status == NTK_OK) {
        per_item = config->kernel->outputs == NTK_OUTPUTS_FULL ? setup->k : 1;
        status = check_config(config, cols, matrix->cols, matrix->cols, per_item, setup->spatial);
    }
    if (status == NTK_OK && (rows->dim != cols->dim || matrix->rows != rows->n * per_item))
        status = NTK_RAISE(NTK_ERR_INTERNAL, "analytic cross kernel: %lld x %lld matrix for "
                           "%lld row inputs of dimension %lld",
                           (long long)matrix->rows, (long long)matrix->cols,
                           (long long)rows->n, (long long)rows->dim);
    if (status == NTK_OK)
        status = setup_buffers(setup, rows, &row_vectors, &width);
    if (status == NTK_OK)
        status = own_vectors(setup, cols, &col_vectors, &col_width);
    NTK_TRY_GOTO(status, ntk_agree(status, grid->comm), done);

    ntk_item_set row_set = {0}, col_set = {0};
    NTK_TRY_GOTO(status,
                 kernel_exchange_axis(grid, rows->n, per_item, matrix->rows, width,
                                      row_vectors ? row_vectors : rows->x, 1, &row_set),
                 done);
    status = kernel_exchange_axis(grid, cols->n, per_item, matrix->cols, col_width,
                                  col_vectors ? col_vectors : cols->x, 0, &col_set);
    if (status != NTK_OK) {
        kernel_item_set_free(&row_set);
        goto done;
    }
    free(row_vectors);
    free(col_vectors);
    row_vectors = col_vectors = NULL;
    status = analytic_run(config, grid, row_set, col_set, rows->dim, width, &setup->evaluator,
                          setup->pair_flops, per_item, want_nngp, 0, 1, hooks, matrix, stats);
done:
    free(row_vectors);
    free(col_vectors);
    if (setup)
        free(setup->evaluator.work);
    free(setup);
    return status;
}
