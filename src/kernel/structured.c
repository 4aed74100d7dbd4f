/* The structured empirical NTK (design.md section 1): no Jacobian is formed.
 *
 *   Theta[(x,o),(x',o')] = sum_l <delta_l^o(x), delta_l^o'(x')> * (c_l^2 <h_{l-1}(x), h_{l-1}(x')> + s_l^2)
 *
 * Each rank runs forward/backward once for its own block of inputs and packs
 * per input one feature vector: for each layer l, the k x n_l cotangents and
 * then h_{l-1}. kernel_exchange delivers the vectors behind the local rows
 * and columns. Theta's local part is then filled panel by panel of local
 * columns (the steps), in row chunks, each as per layer two DGEMMs (cotangent
 * Gram G and layer-input Gram K) and one fused Hadamard update.
 *
 * Trace kernels read the features in place (a row is an input, and the k x n_l
 * cotangents are one contiguous vector whose inner product sums over o); full
 * kernels pack the per-(x,o) cotangent rows of a chunk into contiguous panels
 * and evaluate K once per distinct pair of inputs. Every DGEMM is "TN" on
 * row-major panels written as column-major, which lands straight in Theta's
 * column-major layout.
 *
 * Why panels wider than one block: a 64-column DGEMM loses a noticeable share
 * of peak to packing; 256 columns keep the assembly close to DGEMM speed. A
 * step therefore covers several local column blocks, and a step's tile is
 * zeroed before it is filled, so a step's result never depends on what Theta
 * held before: resumed runs are bit-for-bit the same. */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kernel_local.h"

enum {
    STRUCTURED_PANEL_COLUMNS = 256, /* local columns per step (rounded to blocks) */
    STRUCTURED_ROW_CHUNK = 1024     /* rows per tile: temporaries stay panel-sized */
};

typedef struct {
    int64_t width;                                  /* doubles per input */
    int64_t cotangent_offset[NTK_MAX_DENSE + 2];    /* k x n_l cotangents of layer l */
    int64_t input_offset[NTK_MAX_DENSE + 2];        /* h_{l-1}, n_{l-1} values */
} feature_layout;

typedef struct {
    const ntk_model *model;
    const feature_layout *layout;
    const ntk_item_set *rows, *cols;
    const kernel_local_axis *row_axis, *col_axis;
    int k, full, lower_only;
    int64_t panel_columns;
    double *gram, *input_gram, *row_panel, *col_panel; /* temporaries */
} structured_context;

static void layout_make(const ntk_model *model, feature_layout *layout)
{
    int k = model_outputs(model);
    int64_t at = 0;
    for (int l = 1; l <= model->n_layers; ++l) {
        layout->cotangent_offset[l] = at;
        at += k * model->width[l];
        layout->input_offset[l] = at;
        at += model->width[l - 1];
    }
    layout->width = at;
}

/* Forward/backward for the own inputs, packed one feature vector per input.
 * In batches, so the pass's temporaries stay small and are reused: fresh
 * memory is not free (first-touch page faults), and the packed vectors are
 * the only full-size result. */
static ntk_status own_features(const ntk_model *model, const ntk_input_block *inputs,
                               const feature_layout *layout, double **own)
{
    enum { FEATURE_BATCH = 256 };
    int k = model_outputs(model);
    NTK_TRY(NTK_CALLOC(*own, inputs->count * layout->width + 1, "own input features"));
    for (int64_t first = 0; first < inputs->count; first += FEATURE_BATCH) {
        int64_t count = inputs->count - first < FEATURE_BATCH ? inputs->count - first : FEATURE_BATCH;
        ntk_features features;
        NTK_TRY(model_features(model, inputs->x + first * inputs->dim, count, &features));
        for (int64_t x = 0; x < count; ++x) {
            double *vector = *own + (first + x) * layout->width;
            for (int l = 1; l <= model->n_layers; ++l) {
                int64_t n_out = model->width[l], n_in = model->width[l - 1];
                memcpy(vector + layout->cotangent_offset[l], features.cotangent[l] + x * k * n_out,
                       (size_t)(k * n_out) * sizeof(double));
                memcpy(vector + layout->input_offset[l], features.input[l] + x * n_in,
                       (size_t)n_in * sizeof(double));
            }
        }
        model_features_free(&features);
    }
    return NTK_OK;
}

/* Theta[r0:r1, c0:c1] += sum_l G_l o (c_l^2 K_l + s_l^2) for local rows r and columns c. */
static double structured_tile(const structured_context *ctx, ntk_dmatrix *theta, int64_t r0,
                              int64_t r1, int64_t c0, int64_t c1)
{
    const ntk_model *model = ctx->model;
    const feature_layout *layout = ctx->layout;
    const int64_t F = layout->width, lld = theta->local_rows > 1 ? theta->local_rows : 1;
    const int64_t m = r1 - r0, w = c1 - c0;
    const int64_t row_item0 = ctx->row_axis->position[r0];
    const int64_t col_item0 = ctx->col_axis->position[c0];
    const int64_t row_items = ctx->row_axis->position[r1 - 1] - row_item0 + 1;
    const int64_t col_items = ctx->col_axis->position[c1 - 1] - col_item0 + 1;
    const double *row_vectors = ctx->rows->vectors + row_item0 * F;
    const double *col_vectors = ctx->cols->vectors + col_item0 * F;
    double *gram = ctx->gram, *input_gram = ctx->input_gram;
    double flops = 0.0;

    for (int l = 1; l <= model->n_layers; ++l) {
        const int64_t n_out = model->width[l], n_in = model->width[l - 1];
        const double c = model->weight_scale[l];
        const double s2 = model->has_bias[l] ? model->bias_scale[l] * model->bias_scale[l] : 0.0;

        /* K = c^2 <h_{l-1}(x), h_{l-1}(x')> over the distinct inputs of the tile. */
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)row_items, (int)col_items,
                    (int)n_in, c * c, row_vectors + layout->input_offset[l], (int)F,
                    col_vectors + layout->input_offset[l], (int)F, 0.0, input_gram, (int)row_items);
        flops += 2.0 * (double)row_items * (double)col_items * (double)n_in;

        if (!ctx->full) {
            /* The mean over logits: the k x n_l cotangents as one vector, scaled by 1/k. */
            const int64_t depth = ctx->k * n_out;
            cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)m, (int)w, (int)depth,
                        1.0 / ctx->k, row_vectors + layout->cotangent_offset[l], (int)F,
                        col_vectors + layout->cotangent_offset[l], (int)F, 0.0, gram, (int)m);
            flops += 2.0 * (double)m * (double)w * (double)depth;
            for (int64_t j = 0; j < w; ++j) {
                double *t = theta->data + (c0 + j) * lld + r0;
                const double *g = gram + j * m, *kk = input_gram + j * m;
                for (int64_t i = 0; i < m; ++i)
                    t[i] += g[i] * (kk[i] + s2);
            }
        } else {
            /* Rows (x, o): pack each row's own delta_l^o(x) into contiguous panels. */
            for (int64_t i = 0; i < m; ++i)
                memcpy(ctx->row_panel + i * n_out,
                       ctx->rows->vectors + ctx->row_axis->position[r0 + i] * F +
                           layout->cotangent_offset[l] + ctx->row_axis->output[r0 + i] * n_out,
                       (size_t)n_out * sizeof(double));
            for (int64_t j = 0; j < w; ++j)
                memcpy(ctx->col_panel + j * n_out,
                       ctx->cols->vectors + ctx->col_axis->position[c0 + j] * F +
                           layout->cotangent_offset[l] + ctx->col_axis->output[c0 + j] * n_out,
                       (size_t)n_out * sizeof(double));
            cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)m, (int)w, (int)n_out, 1.0,
                        ctx->row_panel, (int)n_out, ctx->col_panel, (int)n_out, 0.0, gram, (int)m);
            flops += 2.0 * (double)m * (double)w * (double)n_out;
            const int64_t *row_position = ctx->row_axis->position + r0;
            for (int64_t j = 0; j < w; ++j) {
                double *t = theta->data + (c0 + j) * lld + r0;
                const double *g = gram + j * m;
                const double *kk = input_gram + (ctx->col_axis->position[c0 + j] - col_item0) * row_items;
                for (int64_t i = 0; i < m; ++i)
                    t[i] += g[i] * (kk[row_position[i] - row_item0] + s2);
            }
        }
        flops += 3.0 * (double)m * (double)w;
    }
    return flops;
}

/* One step: local columns [c0, c1) of panel `step`, all rows (or, for the
 * lower triangle, the suffix of rows at or below the panel's first column). */
static double structured_step(const structured_context *ctx, ntk_dmatrix *theta, int64_t step)
{
    const int64_t local_rows = ctx->row_axis->count, local_cols = ctx->col_axis->count;
    const int64_t c0 = step * ctx->panel_columns;
    if (c0 >= local_cols || local_rows == 0)
        return 0.0;
    const int64_t c1 = c0 + ctx->panel_columns < local_cols ? c0 + ctx->panel_columns : local_cols;
    const int64_t row_start =
        ctx->lower_only ? kernel_local_axis_lower_bound(ctx->row_axis, ctx->col_axis->global[c0]) : 0;
    const int64_t lld = theta->local_rows > 1 ? theta->local_rows : 1;
    for (int64_t j = c0; j < c1; ++j)
        memset(theta->data + j * lld + row_start, 0, (size_t)(local_rows - row_start) * sizeof(double));
    double flops = 0.0;
    for (int64_t r0 = row_start; r0 < local_rows; r0 += STRUCTURED_ROW_CHUNK) {
        int64_t r1 = r0 + STRUCTURED_ROW_CHUNK < local_rows ? r0 + STRUCTURED_ROW_CHUNK : local_rows;
        flops += structured_tile(ctx, theta, r0, r1, c0, c1);
    }
    return flops;
}

static ntk_status structured_buffers(const ntk_model *model, int full, int64_t panel_columns,
                                     structured_context *ctx)
{
    int64_t widest = 1;
    for (int l = 1; l <= model->n_layers; ++l)
        if (model->width[l] > widest)
            widest = model->width[l];
    NTK_TRY(NTK_CALLOC(ctx->gram, STRUCTURED_ROW_CHUNK * panel_columns, "structured kernel tile"));
    NTK_TRY(NTK_CALLOC(ctx->input_gram, STRUCTURED_ROW_CHUNK * panel_columns, "structured kernel tile"));
    if (full) {
        NTK_TRY(NTK_CALLOC(ctx->row_panel, STRUCTURED_ROW_CHUNK * widest, "structured kernel panel"));
        NTK_TRY(NTK_CALLOC(ctx->col_panel, panel_columns * widest, "structured kernel panel"));
    }
    return NTK_OK;
}

ntk_status kernel_assemble_structured(const ntk_job *job, const ntk_model *model,
                                      const ntk_grid *grid, const ntk_input_block *inputs,
                                      int lower_only, const ntk_assembly_hooks *hooks,
                                      ntk_dmatrix *theta, ntk_kernel_stats *stats)
{
    const int k = model_outputs(model);
    const int full = job->kernel.outputs == NTK_OUTPUTS_FULL;
    const int64_t per_item = full ? k : 1;
    const int64_t blocks_per_step =
        STRUCTURED_PANEL_COLUMNS / grid->block > 1 ? STRUCTURED_PANEL_COLUMNS / grid->block : 1;
    const int64_t panel_columns = blocks_per_step * grid->block;
    /* Process column 0 holds the most local columns, hence the most steps. */
    const int64_t most_columns = grid_local_count(theta->cols, grid->block, 0, grid->cols);
    const int64_t steps_total = (most_columns + panel_columns - 1) / panel_columns;
    stats->method = "structured";
    stats->flops = 0.0;
    stats->steps_total = steps_total;

    feature_layout layout;
    layout_make(model, &layout);
    double *own = NULL;
    ntk_status status = kernel_check_shapes(job, model, inputs, theta);
    if (status == NTK_OK)
        status = own_features(model, inputs, &layout, &own);
    status = ntk_agree(status, grid->comm);
    if (status != NTK_OK) {
        free(own);
        return ntk_trace(status, __FILE__, __LINE__, __func__);
    }

    ntk_item_set rows = {0}, cols = {0};
    status = kernel_exchange(grid, inputs->n, per_item, theta->rows, layout.width, own, &rows, &cols);
    free(own);
    NTK_TRY(status);

    kernel_local_axis row_axis = {0}, col_axis = {0};
    structured_context ctx = {model, &layout, &rows, &cols, &row_axis, &col_axis, k, full,
                              lower_only, panel_columns, NULL, NULL, NULL, NULL};
    status = kernel_local_axis_create(grid, theta->rows, 1, per_item, &rows, &row_axis);
    if (status == NTK_OK)
        status = kernel_local_axis_create(grid, theta->cols, 0, per_item, &cols, &col_axis);
    if (status == NTK_OK)
        status = structured_buffers(model, full, panel_columns, &ctx);
    NTK_TRY_GOTO(status, ntk_agree(status, grid->comm), done);

    int64_t first_step = hooks ? hooks->first_step : 0;
    for (int64_t step = first_step; step < steps_total; ++step) {
        stats->flops += structured_step(&ctx, theta, step);
        if (hooks && hooks->after_step)
            NTK_TRY_GOTO(status, hooks->after_step(hooks->context, theta, step + 1, steps_total), done);
    }
    NTK_TRY_GOTO(status, kernel_stats_reduce(grid, stats), done);

done:
    free(ctx.gram);
    free(ctx.input_gram);
    free(ctx.row_panel);
    free(ctx.col_panel);
    kernel_local_axis_free(&row_axis);
    kernel_local_axis_free(&col_axis);
    kernel_item_set_free(&rows);
    kernel_item_set_free(&cols);
    return status;
}
