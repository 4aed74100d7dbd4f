/* The structured empirical NTK (docs/design.md, "Structured form"): no Jacobian is formed.
 * Every layer with parameters adds the term its ops state (model/layer.h,
 * structured_term; dense: the Hadamard product below).
 *
 *   Theta[(x,o),(x',o')] = sum_l <delta_l^o(x), delta_l^o'(x')> * (c_l^2 <h_{l-1}(x), h_{l-1}(x')> + s_l^2)
 *
 * Each rank runs forward/backward once for its own block of inputs and packs
 * per input one feature vector: for each layer l, the k x n_l cotangents and
 * then h_{l-1}. The vectors are computed straight into the one item set this
 * rank needs (kernel_item_union_*: the inputs behind its local rows and
 * columns plus its own), and the owners fill in the rest. Theta's local part
 * is then filled panel by panel of local columns (the steps), in row chunks.
 * (structured_layout.c: the vectors' layout and chunk passes;
 * structured_features.c: the vectors; structured_tiles.c: a step's tiles.) */
#include <stdlib.h>
#include <string.h>

#include "core/fixed_sgemm.h"
#include "core/log.h"
#include "kernel/structured_internal.h"

/* Are the distinct inputs of every run of local indices consecutive in the set? */
static int axis_consecutive(const kernel_local_axis *axis)
{
    for (int64_t a = 1; a < axis->count; ++a)
        if (axis->position[a] != axis->position[a - 1] && axis->position[a] != axis->position[a - 1] + 1)
            return 0;
    return 1;
}

static ntk_status structured_buffers(const ntk_model *model, int full, int64_t panel_columns,
                                     structured_context *ctx)
{
    const int64_t F = ctx->layout->stride; /* doubles per packed vector */
    int64_t widest = 1;
    for (int l = 1; l <= model->n_layers; ++l) {
        if (ctx->layout->skip[l])
            continue;
        const int64_t width = ctx->layout->block[l] ? ctx->layout->block_width[l] : ctx->layout->n_out[l];
        if (width > widest)
            widest = width;
    }
    /* Tiles never exceed the local matrix: a small matrix (or a large block)
     * gets small temporaries (issue: grid.block must not drive memory). */
    const int64_t rows = ctx->row_axis->count < ctx->row_chunk ? ctx->row_axis->count
                                                               : ctx->row_chunk;
    const int64_t cols = ctx->col_axis->count < panel_columns ? ctx->col_axis->count
                                                               : panel_columns;
    const int64_t R = rows > 1 ? rows : 1, C = cols > 1 ? cols : 1;
    NTK_TRY(NTK_CALLOC(ctx->pair, ctx->layout->pair_scratch + 1, "structured kernel position Grams"));
    NTK_TRY(NTK_CALLOC(ctx->gram, R * C, "structured kernel tile"));
    NTK_TRY(NTK_CALLOC(ctx->input_gram, R * C, "structured kernel tile"));
    NTK_TRY(NTK_CALLOC(ctx->row_slot, R, "structured kernel tile"));
    NTK_TRY(NTK_CALLOC(ctx->col_slot, C, "structured kernel tile"));
    if (!axis_consecutive(ctx->row_axis))
        NTK_TRY(NTK_CALLOC(ctx->row_pack, R * F, "structured kernel panel"));
    if (!axis_consecutive(ctx->col_axis))
        NTK_TRY(NTK_CALLOC(ctx->col_pack, C * F, "structured kernel panel"));
    if (full) {
        NTK_TRY(NTK_CALLOC(ctx->row_panel, R * widest, "structured kernel panel"));
        NTK_TRY(NTK_CALLOC(ctx->col_panel, C * widest, "structured kernel panel"));
    } else {
        NTK_TRY(NTK_CALLOC(ctx->small, R * STRUCTURED_SMALL_GROUP, "structured kernel tile"));
    }
    if (ctx->layout->single) { /* R x C doubles hold both R x C float Grams */
        ctx->gram_single = (float *)ctx->input_gram;
        ctx->input_gram_single = ctx->gram_single + R * C;
        ctx->tile_scratch = ctx->gram;
    }
    return NTK_OK;
}

/* What both entry points derive from the job and the grid, and the stats
 * they start with. */
typedef struct {
    int k, full;
    int64_t per_item, panel_columns, steps_total;
} structured_shape;

static structured_shape structured_begin(const ntk_kernel_config *config, const ntk_model *model,
                                         const ntk_grid *grid, const ntk_dmatrix *matrix,
                                         ntk_kernel_stats *stats)
{
    structured_shape shape;
    shape.k = model_outputs(model);
    shape.full = config->kernel->outputs == NTK_OUTPUTS_FULL;
    shape.per_item = shape.full ? shape.k : 1;
    shape.panel_columns = kernel_structured_panel_columns(grid->block);
    /* Process column 0 holds the most local columns, hence the most steps. */
    const int64_t most_columns = grid_local_count(matrix->cols, grid->block, 0, grid->cols);
    shape.steps_total = (most_columns + shape.panel_columns - 1) / shape.panel_columns;
    kernel_stats_begin(stats, "structured", shape.steps_total);
    return shape;
}

/* How one structured_run goes: the resident pass (panel steps from the
 * resume point, each reported to the hooks) or a chunk pass (every panel,
 * adding to Theta; its caller reports it as one step). */
typedef struct {
    int accumulate;
    int64_t first_step;
    const ntk_assembly_hooks *hooks;
    int64_t steps_all; /* the assembly's steps: panels, then chunk passes */
    float *single_theta; /* kernel.precision float32: the entries (structured_context) */
} structured_pass;

/* With every rank's row and column features delivered (the sets, owned by
 * the caller): the local axes, the tile buffers, then the steps. Collective;
 * frees all it makes. */
static ntk_status structured_run(const ntk_model *model, const ntk_grid *grid,
                                 const feature_layout *layout, const structured_shape *shape,
                                 const ntk_item_set *row_set, const ntk_item_set *col_set,
                                 int lower_only, const structured_pass *pass,
                                 ntk_dmatrix *matrix, ntk_kernel_stats *stats)
{
    kernel_local_axis row_axis = {0}, col_axis = {0};
    structured_context ctx = {0};
    ctx.model = model;
    ctx.layout = layout;
    ctx.row_set = row_set;
    ctx.col_set = col_set;
    ctx.row_axis = &row_axis;
    ctx.col_axis = &col_axis;
    ctx.k = shape->k;
    ctx.full = shape->full;
    ctx.lower_only = lower_only;
    ctx.accumulate = pass->accumulate;
    ctx.panel_columns = shape->panel_columns;
    ctx.block = grid->block;
    ctx.theta_single = pass->single_theta;
    ctx.row_chunk = STRUCTURED_ROW_CHUNK;
    ntk_status status = kernel_local_axis_create(grid, matrix->rows, 1, shape->per_item, row_set,
                                                 &row_axis);
    if (status == NTK_OK)
        status = kernel_local_axis_create(grid, matrix->cols, 0, shape->per_item, col_set,
                                          &col_axis);
    if (status == NTK_OK)
        status = structured_buffers(model, shape->full, shape->panel_columns, &ctx);
    NTK_TRY_GOTO(status, ntk_agree(status, grid->comm), done);

    const ntk_assembly_hooks *hooks = pass->hooks;
    for (int64_t step = pass->first_step; step < shape->steps_total; ++step) {
        const double start = MPI_Wtime(), cpu_start = kernel_cpu_seconds();
        stats->flops += structured_step(&ctx, matrix, step);
        stats->products_seconds += MPI_Wtime() - start;
        stats->products_cpu_seconds += kernel_cpu_seconds() - cpu_start;
        if (hooks && hooks->after_step)
            NTK_TRY_GOTO(status, hooks->after_step(hooks->context, matrix, step + 1, pass->steps_all), done);
    }

done:
    free(ctx.gram);
    free(ctx.input_gram);
    free(ctx.row_panel);
    free(ctx.col_panel);
    free(ctx.row_pack);
    free(ctx.col_pack);
    free(ctx.row_slot);
    free(ctx.col_slot);
    free(ctx.small);
    free(ctx.pair);
    kernel_local_axis_free(&row_axis);
    kernel_local_axis_free(&col_axis);
    return status;
}

/* Vectors this rank holds at once for Theta: its item set, and the copies
 * of a row chunk and a column panel when its axes are not runs of the set
 * (structured_buffers). Rank-local. */
static ntk_status union_items(const ntk_grid *grid, int64_t n_items, const structured_shape *shape,
                              const ntk_dmatrix *theta, double *items)
{
    ntk_item_set probe = {0};
    kernel_local_axis rows = {0}, cols = {0};
    int64_t own_position = 0;
    /* The item list alone (vectors of one double): the real set's width
     * depends on what this count decides. */
    NTK_TRY(kernel_item_union_create(grid, n_items, shape->per_item, theta->rows, 1, &probe,
                                     &own_position));
    ntk_status status = kernel_local_axis_create(grid, theta->rows, 1, shape->per_item, &probe, &rows);
    if (status == NTK_OK)
        status = kernel_local_axis_create(grid, theta->cols, 0, shape->per_item, &probe, &cols);
    if (status == NTK_OK) {
        const int64_t r = rows.count < STRUCTURED_ROW_CHUNK ? rows.count : STRUCTURED_ROW_CHUNK;
        const int64_t c = cols.count < shape->panel_columns ? cols.count : shape->panel_columns;
        *items = (double)probe.count + (axis_consecutive(&rows) ? 0.0 : (double)r) +
                 (axis_consecutive(&cols) ? 0.0 : (double)c);
    }
    kernel_local_axis_free(&rows);
    kernel_local_axis_free(&cols);
    kernel_item_set_free(&probe);
    return status;
}

/* The chunking every rank agrees on, from the most vectors any rank holds
 * (`items`) and the most own inputs (`own`, its forward/backward batch), for a
 * matrix of n_rows x n_cols (kernel.h: kernel.chunk_mib covers the vectors,
 * the feature pass and the tiles, as plan counts them); the layout without
 * the chunked layers. Collective (callers agree before). */
static ntk_status structured_chunks(const ntk_kernel_config *config, const ntk_model *model,
                                    const ntk_grid *grid, int full, double items, double own,
                                    int64_t n_rows, int64_t n_cols, feature_layout *layout,
                                    kernel_chunking *chunking)
{
    double mine[2] = {items, own}, most[2] = {0.0, 0.0};
    NTK_MPI(MPI_Allreduce(mine, most, 2, MPI_DOUBLE, MPI_MAX, grid->comm));
    const double budget = kernel_chunk_budget_bytes(config);
    kernel_structured_overhead overhead;
    kernel_structured_overhead_of(model->stack, model->n_stack, model_outputs(model), full,
                                  config->kernel->quadrature_order, budget, (int64_t)most[1],
                                  grid_local_count(n_rows, grid->block, 0, grid->rows),
                                  grid_local_count(n_cols, grid->block, 0, grid->cols), grid->block,
                                  &overhead);
    structured_layout_chunking(model, layout, chunking);
    kernel_structured_chunking(most[0] + overhead.tile_vectors,
                               kernel_chunk_decision_bytes(config, &overhead), chunking);
    if (chunking->passes > 0)
        NTK_TRY(structured_layout_make(model, full, config->only_layer, chunking, layout));
    layout->batch = overhead.batch;
    return NTK_OK;
}

/* kernel.precision mixed or float32: the float32 layout of the vectors, and
 * a warning when this CPU runs the fixed-order SGEMM's portable kernel. */
static void structured_single_begin(const ntk_kernel_config *config, feature_layout *layout)
{
    structured_layout_make_single(layout);
    if (strcmp(ntk_fixed_sgemm_kernel(), "portable") == 0)
        ntk_warn("kernel.precision %s: this CPU lacks AVX2 or FMA, so the float32 Grams run "
                 "the portable fixed-order kernel, far slower than float64's DGEMM "
                 "(docs/precision.md); kernel.precision: float64 is faster here",
                 config->kernel->precision == NTK_PRECISION_MIXED ? "mixed" : "float32");
}

int64_t kernel_structured_accumulation_length(const ntk_kernel_config *config,
                                              const ntk_model *model, ntk_status *status)
{
    feature_layout layout;
    const int full = config->kernel->outputs == NTK_OUTPUTS_FULL;
    *status = structured_layout_make(model, full, config->only_layer, NULL, &layout);
    if (*status != NTK_OK)
        return 0;
    const int k = model_outputs(model);
    /* The float32 passes (model/single_passes.h): a layer's SGEMM of depth
     * D rounds its operands and sums D products, (D + 2) u relative to the
     * magnitudes, and carries that to every layer above it (forward) or
     * below it (backward). A layer's term then carries the forward GEMMs
     * of the layers before it in its inputs and the backward GEMMs of
     * those after it in its cotangents, twice (both inputs of the pair). A
     * Jacobian block computed in float32 (conv) is an SGEMM over its P
     * positions: (P + 2) u in its entries, twice as well. */
    int64_t forward_before[NTK_MAX_DENSE + 2] = {0}, backward_after[NTK_MAX_DENSE + 2] = {0};
    int64_t block_sums[NTK_MAX_DENSE + 2] = {0}; /* a float32 Jacobian block's depth + 2 */
    for (int l = 1; l <= model->n_layers; ++l) {
        const ntk_layer *layer = model_param_layer(model, l);
        ntk_layer_cost cost;
        memset(&cost, 0, sizeof cost);
        layer->ops->cost(layer, k, full, config->kernel->quadrature_order, &cost);
        const int64_t forward = layer->ops->forward_single ? cost.single_forward_depth + 2 : 0;
        const int64_t backward = layer->ops->backward_single ? cost.single_backward_depth + 2 : 0;
        if (layer->ops->jacobian_block_single && cost.single_block_depth > 0)
            block_sums[l] = cost.single_block_depth + 2;
        if (l < model->n_layers)
            forward_before[l + 1] = forward_before[l] + forward;
        for (int below = 1; below < l; ++below)
            backward_after[below] += backward;
    }
    int64_t longest = 0;
    for (int l = 1; l <= model->n_layers; ++l) {
        if (layout.skip[l])
            continue;
        /* rank-one and Jacobian-block layers: one Gram of depth
         * input_depth (a block: its k x block_width values); dense layers:
         * the cotangents' (k n_l) and the inputs' (n_{l-1}); pairwise
         * layers: the cotangents' position Gram (k C) and the patches' (D),
         * their product summed in float64 as a dense layer's. Chunk passes
         * cut a Gram into shallower ones summed in float64, which the whole
         * depth bounds. Each Gram adds the rounding of its two operands, 2 u. */
        const int64_t length =
            layout.rank_one[l] || layout.block[l] ? layout.input_depth[l] + 2
            : layout.pairwise[l] ? k * layout.channels[l] + layout.patch_width[l] + 4
                                 : k * layout.n_out[l] + layout.n_in[l] + 4;
        const int64_t passes =
            2 * (forward_before[l] + backward_after[l] + (layout.block[l] ? block_sums[l] : 0));
        if (length + passes > longest)
            longest = length + passes;
    }
    return longest;
}

/* The chunk passes of Theta (kernel.h, kernel_structured_chunking): per pass
 * the own inputs' rows of the block, computed into one item set (allocated
 * once at the widest pass) and shared as the resident features are, then
 * added to every tile. Pass p is step panels + p for the hooks. */
static ntk_status chunk_passes(const ntk_model *model, const ntk_grid *grid,
                               const ntk_input_block *inputs, const feature_layout *layout,
                               const kernel_chunking *chunking,
                               const structured_shape *shape, int lower_only,
                               const ntk_assembly_hooks *hooks, int64_t first_step,
                               int64_t steps_all, float *single_theta, ntk_dmatrix *theta,
                               ntk_kernel_stats *stats)
{
    ntk_item_set set = {0};
    int64_t own_position = 0;
    /* mixed and float32: floats, two to a double of the set */
    const int single = layout->single;
    const int64_t widest = (int64_t)chunking->widest_chunk;
    ntk_status status = kernel_item_union_create(grid, inputs->n, shape->per_item, theta->rows,
                                                 single ? (widest + 1) / 2 : widest, &set,
                                                 &own_position);
    status = ntk_agree(status, grid->comm);
    const structured_pass pass_kind = {1, 0, NULL, steps_all, single_theta};
    for (int64_t pass = 0; status == NTK_OK && pass < chunking->passes; ++pass) {
        const int64_t step = shape->steps_total + pass;
        if (step < first_step)
            continue; /* a resumed run's Theta holds it */
        kernel_chunk_pass part;
        kernel_chunk_pass_of(chunking, pass, &part);
        feature_layout chunk;
        structured_layout_chunk(model, layout, &part, &chunk);
        if (single)
            structured_layout_make_single(&chunk);
        status = structured_timed_features(model, inputs, &chunk,
                                               set.vectors + own_position * chunk.stride, stats);
        status = ntk_agree(status, grid->comm);
        if (status == NTK_OK)
            status = kernel_item_union_share(grid, inputs->n, shape->per_item, theta->rows,
                                             chunk.stride, &set);
        if (status == NTK_OK)
            status = structured_run(model, grid, &chunk, shape, &set, &set, lower_only, &pass_kind,
                                    theta, stats);
        if (status == NTK_OK && hooks && hooks->after_step)
            status = hooks->after_step(hooks->context, theta, step + 1, steps_all);
    }
    kernel_item_set_free(&set);
    return status;
}

/* Theta into `theta`, or (single_theta not NULL) into single_theta's
 * entries with `theta` describing the layout only. */
static ntk_status assemble_structured(const ntk_kernel_config *config, const ntk_model *model,
                                      const ntk_grid *grid, const ntk_input_block *inputs,
                                      int lower_only, const ntk_assembly_hooks *hooks,
                                      ntk_dmatrix *theta, float *single_theta,
                                      ntk_kernel_stats *stats)
{
    const structured_shape shape = structured_begin(config, model, grid, theta, stats);
    feature_layout layout;
    kernel_chunking chunking;
    ntk_item_set set = {0};
    int64_t own_position = 0;
    double items = 0.0;
    ntk_status status = kernel_check_shapes(config, model, inputs, theta);
    if (status == NTK_OK)
        status = structured_layout_make(model, shape.full, config->only_layer, NULL, &layout);
    if (status == NTK_OK)
        status = union_items(grid, inputs->n, &shape, theta, &items);
    NTK_TRY(ntk_agree(status, grid->comm));
    NTK_TRY(structured_chunks(config, model, grid, shape.full, items, (double)inputs->count,
                              theta->rows, theta->cols, &layout, &chunking));
    if (config->kernel->precision != NTK_PRECISION_FLOAT64)
        structured_single_begin(config, &layout);
    const int64_t steps_all = shape.steps_total + chunking.passes;
    const int64_t first_step = hooks ? hooks->first_step : 0;
    stats->steps_total = steps_all;
    stats->chunk_passes = chunking.passes;

    if (first_step < shape.steps_total) {
        status = kernel_item_union_create(grid, inputs->n, shape.per_item, theta->rows,
                                          layout.stride, &set, &own_position);
        if (status == NTK_OK)
            status = structured_timed_features(model, inputs, &layout,
                                               set.vectors + own_position * layout.stride, stats);
        status = ntk_agree(status, grid->comm);
        if (status == NTK_OK)
            status = kernel_item_union_share(grid, inputs->n, shape.per_item, theta->rows,
                                             layout.stride, &set);
        const structured_pass resident = {0, first_step, hooks, steps_all, single_theta};
        if (status == NTK_OK)
            status = structured_run(model, grid, &layout, &shape, &set, &set, lower_only,
                                    &resident, theta, stats);
        kernel_item_set_free(&set);
    }
    if (status == NTK_OK && chunking.passes > 0)
        status = chunk_passes(model, grid, inputs, &layout, &chunking, &shape, lower_only,
                              hooks, first_step, steps_all, single_theta, theta, stats);
    if (status == NTK_OK)
        status = kernel_stats_reduce(grid, stats);
    return status == NTK_OK ? NTK_OK : NTK_FRAME(status);
}

ntk_status kernel_assemble_structured(const ntk_kernel_config *config, const ntk_model *model,
                                      const ntk_grid *grid, const ntk_input_block *inputs,
                                      int lower_only, const ntk_assembly_hooks *hooks,
                                      ntk_dmatrix *theta, ntk_kernel_stats *stats)
{
    if (config->kernel->precision == NTK_PRECISION_FLOAT32)
        return NTK_RAISE(NTK_ERR_JOB, "kernel.precision: float32 is not supported here (a "
                         "float32 Theta is assembled by kernel_assemble_float32 only)");
    return assemble_structured(config, model, grid, inputs, lower_only, hooks, theta, NULL, stats);
}

ntk_status kernel_assemble_float32(const ntk_kernel_config *config, const ntk_model *model,
                                   const ntk_grid *grid, const ntk_input_block *inputs,
                                   int lower_only, ntk_smatrix *theta, ntk_kernel_stats *stats)
{
    ntk_kernel_stats unused;
    if (!stats)
        stats = &unused;
    kernel_stats_begin(stats, "", 0);
    NTK_TRY(kernel_check_precision(config));
    if (config->kernel->precision != NTK_PRECISION_FLOAT32)
        return NTK_RAISE(NTK_ERR_INTERNAL, "kernel_assemble_float32 with kernel.precision %s",
                         ntk_choice_name(&kernel_precision_names, (int)config->kernel->precision));
    ntk_dmatrix layout;
    memset(&layout, 0, sizeof layout);
    layout.rows = theta->rows;
    layout.cols = theta->cols;
    layout.local_rows = theta->local_rows;
    layout.local_cols = theta->local_cols;
    memcpy(layout.desc, theta->desc, sizeof layout.desc);
    NTK_TRY(assemble_structured(config, model, grid, inputs, lower_only, NULL, &layout,
                                theta->data, stats));
    return NTK_OK;
}

/* The cross kernel's features for one layout: each side's own vectors, then
 * each axis delivered from its own set. Collective; on failure (agreed)
 * the sets are empty. */
static ntk_status cross_features(const ntk_model *model, const ntk_grid *grid,
                                 const feature_layout *layout, const structured_shape *shape,
                                 const ntk_input_block *rows, const ntk_input_block *cols,
                                 const ntk_dmatrix *cross, ntk_item_set *row_set,
                                 ntk_item_set *col_set, ntk_kernel_stats *stats)
{
    double *own_rows = NULL, *own_cols = NULL;
    ntk_status status = NTK_CALLOC(own_rows, rows->count * layout->width + 1, "cross kernel features");
    if (status == NTK_OK)
        status = NTK_CALLOC(own_cols, cols->count * layout->width + 1, "cross kernel features");
    if (status == NTK_OK)
        status = structured_timed_features(model, rows, layout, own_rows, stats);
    if (status == NTK_OK)
        status = structured_timed_features(model, cols, layout, own_cols, stats);
    status = ntk_agree(status, grid->comm);
    if (status == NTK_OK)
        status = kernel_exchange_axis(grid, rows->n, shape->per_item, cross->rows, layout->stride,
                                      own_rows, 1, row_set);
    if (status == NTK_OK)
        status = kernel_exchange_axis(grid, cols->n, shape->per_item, cross->cols, layout->stride,
                                      own_cols, 0, col_set);
    free(own_rows);
    free(own_cols);
    if (status != NTK_OK) { /* every rank has the same status: the exchange agrees on its own */
        kernel_item_set_free(row_set);
        kernel_item_set_free(col_set);
    }
    return status;
}

/* The cross kernel (kernel.h, kernel_assemble_cross): the same tiles, with
 * the rows' features from input set A and the columns' from B, each delivered
 * by one axis of the exchange. Every entry is computed (no triangle). Chunk
 * passes as for Theta, each with its own exchange; the steps and the
 * resume point as for Theta: the panels, then one step per chunk pass. */
ntk_status kernel_assemble_structured_cross(const ntk_kernel_config *config, const ntk_model *model,
                                            const ntk_grid *grid, const ntk_input_block *rows,
                                            const ntk_input_block *cols,
                                            const ntk_assembly_hooks *hooks, ntk_dmatrix *cross,
                                            ntk_kernel_stats *stats)
{
    const structured_shape shape = structured_begin(config, model, grid, cross, stats);
    feature_layout layout;
    kernel_chunking chunking;
    ntk_item_set row_set = {0}, col_set = {0};
    NTK_TRY(ntk_agree(structured_layout_make(model, shape.full, config->only_layer, NULL, &layout),
                      grid->comm));
    /* Vectors held at once, an upper bound: the items behind the local rows
     * and columns, both own blocks, and the tile copies (structured_buffers). */
    const int64_t local_rows = grid_local_count(cross->rows, grid->block, grid->myrow, grid->rows);
    const int64_t local_cols = grid_local_count(cross->cols, grid->block, grid->mycol, grid->cols);
    const double items =
        (double)(2 * local_rows + 2 * local_cols + rows->count + cols->count);
    const double own = (double)(rows->count > cols->count ? rows->count : cols->count);
    NTK_TRY(structured_chunks(config, model, grid, shape.full, items, own, cross->rows, cross->cols,
                              &layout, &chunking));
    /* kernel.precision float32's predictions: float32 features and products */
    if (config->kernel->precision != NTK_PRECISION_FLOAT64)
        structured_single_begin(config, &layout);
    const int64_t steps_all = shape.steps_total + chunking.passes;
    const int64_t first_step = hooks ? hooks->first_step : 0;
    stats->steps_total = steps_all;
    const structured_pass resident = {0, first_step, hooks, steps_all, NULL}, adding = {1, 0, NULL, 0, NULL};
    ntk_status status = NTK_OK;
    if (first_step < shape.steps_total) {
        status = cross_features(model, grid, &layout, &shape, rows, cols, cross, &row_set,
                                &col_set, stats);
        if (status == NTK_OK)
            status = structured_run(model, grid, &layout, &shape, &row_set, &col_set, 0,
                                    &resident, cross, stats);
        kernel_item_set_free(&row_set);
        kernel_item_set_free(&col_set);
    }
    for (int64_t pass = 0; status == NTK_OK && pass < chunking.passes; ++pass) {
        const int64_t step = shape.steps_total + pass;
        if (step < first_step)
            continue; /* a resumed run's matrix holds it */
        kernel_chunk_pass part;
        kernel_chunk_pass_of(&chunking, pass, &part);
        feature_layout chunk;
        structured_layout_chunk(model, &layout, &part, &chunk);
        if (layout.single)
            structured_layout_make_single(&chunk);
        status = cross_features(model, grid, &chunk, &shape, rows, cols, cross, &row_set, &col_set,
                                stats);
        if (status == NTK_OK)
            status = structured_run(model, grid, &chunk, &shape, &row_set, &col_set, 0, &adding,
                                    cross, stats);
        kernel_item_set_free(&row_set);
        kernel_item_set_free(&col_set);
        if (status == NTK_OK && hooks && hooks->after_step)
            status = hooks->after_step(hooks->context, cross, step + 1, steps_all);
    }
    if (status == NTK_OK)
        status = kernel_stats_reduce(grid, stats);
    return status == NTK_OK ? NTK_OK : NTK_FRAME(status);
}
