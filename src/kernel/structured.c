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
 *
 * Trace kernels read the features in place where a chunk's inputs are
 * consecutive in the set, else from a packed copy (the step's column panel on
 * a 1 x P grid). Per layer, with G the cotangent Gram (the mean over logits:
 * the k x n_l cotangents as one vector, scaled by 1/k) and K = c^2 <h, h'>:
 *   - rank-one layers (k n_l == 1, the last layer of a one-output network):
 *     G = a(x) a(x') / k, so the layer's term is (1/k) <v(x), v(x')> with
 *     v = (c a h_{l-1}, s a), stored so in the feature vector: one DGEMM
 *     accumulating straight into Theta (beta = 1), no temporary;
 *   - one Gram of depth <= STRUCTURED_SMALL_DEPTH (layer 1's input Gram on
 *     low-dimensional data): a DGEMM of depth 16 over the whole tile is
 *     memory-bound, writing a tile-sized temporary for almost no arithmetic,
 *     so it is computed a column group at a time into a cache-resident
 *     temporary that the update consumes at once;
 *   - otherwise two DGEMMs and one fused Hadamard update.
 * The first update of a tile assigns instead of adding, which replaces zeroing.
 * For the lower triangle, each column block near the diagonal starts at its
 * own first row, so blocks wholly above the diagonal are not computed.
 * Full kernels pack the per-(x,o) cotangent rows of a chunk into contiguous
 * panels and evaluate K once per distinct pair of inputs. Every DGEMM is "TN"
 * on row-major panels written as column-major, which lands straight in
 * Theta's column-major layout.
 *
 * Flop accounting counts what is computed: 2 depth per entry for every inner
 * product (DGEMM or fused), plus the update's multiplies and adds.
 *
 * Why panels wider than one block: a 64-column DGEMM loses a noticeable share
 * of peak to packing; 256 columns keep the assembly close to DGEMM speed. A
 * step therefore covers several local column blocks, and a step's tile is
 * overwritten, never accumulated into, so a step's result never depends on
 * what Theta held before: resumed runs are bit-for-bit the same. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/structured_internal.h"

/* The pairwise form's scratch for P positions and C channels: two P x P
 * Grams (pairwise_patch_gram, pairwise_value) and, for full kernels, the
 * product K delta (P x kC) and the k x k entries of a pair of inputs
 * (full_pairwise_term). */
static int64_t pair_scratch_doubles(int64_t P, int64_t C, int k, int full)
{
    return 2 * P * P + (full ? (int64_t)k * P * C + (int64_t)k * k : 0);
}

/* Each layer with parameters states its term (model/layer.h); a layer type
 * without one cannot use this method. Layers `chunking` marks chunked
 * (NULL: none) are left out of the vectors (chunk passes add them), and so
 * is every layer but `only_layer` when it is not 0 (kernel_config.h).
 * Rank-local. */
static ntk_status layout_make(const ntk_model *model, int full, int only_layer,
                              const kernel_chunking *chunking, feature_layout *layout)
{
    int k = model_outputs(model);
    int64_t at = 0;
    memset(layout, 0, sizeof *layout);
    layout->full = full;
    layout->lowest = model->n_layers + 1;
    for (int l = 1; l <= model->n_layers; ++l) {
        const ntk_layer *layer = model_param_layer(model, l);
        if (layer->ops->structured_term == NULL)
            return NTK_RAISE(NTK_ERR_JOB, "model.layers[%d]: %s layers have no structured "
                             "kernel; set kernel.method: jacobian", layer->index, layer->ops->name);
        ntk_structured_term term;
        memset(&term, 0, sizeof term);
        layer->ops->structured_term(layer, k, full, &term);
        const int64_t start = at;
        if (term.block_width > 0) {
            /* A block without stated rows is one row. */
            layout->block_rows[l] = term.block_rows > 0 ? term.block_rows : 1;
            layout->row_width[l] = term.block_rows > 0 ? term.block_row_width : term.block_width;
            if (term.scratch_doubles > layout->scratch)
                layout->scratch = term.scratch_doubles;
        }
        /* A pairwise layer's sizes, kept for its chunk passes too. */
        layout->pairwise[l] = term.pairwise;
        if (term.pairwise) {
            layout->positions[l] = term.positions;
            layout->patch_width[l] = term.patch_width;
            layout->channels[l] = term.channels;
        }
        /* Another layer's term (only_layer: Theta_l alone), or one that
         * chunk passes add. */
        if ((only_layer > 0 && l != only_layer) || (chunking != NULL && chunking->chunked[l])) {
            layout->skip[l] = 1;
            continue;
        }
        if (l < layout->lowest)
            layout->lowest = l;
        layout->n_out[l] = term.cotangent_width;
        layout->n_in[l] = term.input_width;
        layout->pairwise[l] = term.pairwise;
        if (term.pairwise) {
            /* P x D patches, P x k x C cotangents, k x C scaled sums. */
            const int64_t P = term.positions, D = term.patch_width, C = term.channels;
            layout->block[l] = layout->rank_one[l] = 0;
            layout->positions[l] = P;
            layout->patch_width[l] = D;
            layout->channels[l] = C;
            layout->cotangent_offset[l] = layout->input_offset[l] = at;
            layout->input_depth[l] = P * D + P * k * C + k * C;
            at += layout->input_depth[l];
            if (pair_scratch_doubles(P, C, k, full) > layout->pair_scratch)
                layout->pair_scratch = pair_scratch_doubles(P, C, k, full);
            layout->packed[l] = at - start;
            continue;
        }
        if (term.block_width > 0) {
            /* k x block_width values: the layer's term is <J_l^o(x), J_l^o'(x')>. */
            layout->block[l] = 1;
            layout->block_width[l] = term.block_width;
            layout->rank_one[l] = 0;
            layout->cotangent_offset[l] = layout->input_offset[l] = at;
            layout->input_depth[l] = k * term.block_width;
            at += layout->input_depth[l];
            layout->packed[l] = at - start;
            continue;
        }
        layout->block[l] = 0;
        layout->rank_one[l] = !full && k * layout->n_out[l] == 1;
        layout->cotangent_offset[l] = at;
        if (!layout->rank_one[l])
            at += k * layout->n_out[l];
        layout->input_offset[l] = at;
        layout->input_depth[l] = layout->n_in[l] + (layout->rank_one[l] && model->has_bias[l]);
        at += layout->input_depth[l];
        layout->packed[l] = at - start;
    }
    /* Every layer chunked: an empty vector still has one (unused) double. */
    layout->width = at > 0 ? at : 1;
    layout->stride = layout->width;
    return NTK_OK;
}

/* kernel.precision mixed: the vectors hold floats, two to a double of the
 * item set (which moves and stores whole vectors of `stride` doubles, so the
 * exchange and its memory are halved without a float copy of its code).
 * Only dense layers' terms have float32 products (structured_mixed.c); the
 * job's rules refuse the others (job/job_rules_precision.c). Rank-local. */
static ntk_status layout_make_single(const ntk_model *model, feature_layout *layout)
{
    for (int l = 1; l <= model->n_layers; ++l)
        if (!layout->skip[l] && (layout->block[l] || layout->pairwise[l]))
            return NTK_RAISE(NTK_ERR_JOB, "kernel.precision: mixed is not supported with "
                             "model layer %d, a %s layer (only dense layers have mixed products)",
                             l, model_param_layer(model, l)->ops->name);
    layout->single = 1;
    layout->stride = (layout->width + 1) / 2;
    layout->single_stride = 2 * layout->stride;
    return NTK_OK;
}

/* The vectors of one chunk pass of a pairwise layer: its rectangle's
 * patch columns, channels' cotangents and sums (kernel.h). Its patches are
 * cut from the whole patch matrix, the scratch. */
static void layout_chunk_pairwise(const ntk_model *model, const feature_layout *whole,
                                  const kernel_chunk_pass *pass, feature_layout *chunk)
{
    const int k = model_outputs(model), l = pass->layer;
    const int64_t P = whole->positions[l], D = pass->depth, C = pass->rows;
    chunk->pairwise[l] = chunk->pair_part[l] = 1;
    chunk->part[l] = (ntk_pairwise_part){pass->first, C, pass->depth_first, D};
    chunk->positions[l] = P;
    chunk->patch_width[l] = D;
    chunk->channels[l] = C;
    chunk->input_depth[l] = chunk->packed[l] = P * D + P * k * C + k * C;
    chunk->width = chunk->stride = chunk->input_depth[l];
    chunk->pair_scratch = pair_scratch_doubles(P, C, k, whole->full);
    chunk->scratch = P * whole->patch_width[l];
}

/* The vectors of one chunk pass: rows [first, first + rows) of layer l's
 * Jacobian block (or a pairwise layer's rectangle), nothing else. */
static void layout_chunk(const ntk_model *model, const feature_layout *whole,
                         const kernel_chunk_pass *pass, feature_layout *chunk)
{
    const int k = model_outputs(model), l = pass->layer;
    const int64_t first = pass->first, rows = pass->rows;
    memset(chunk, 0, sizeof *chunk);
    chunk->full = whole->full;
    for (int j = 1; j <= model->n_layers; ++j)
        chunk->skip[j] = j != l;
    chunk->lowest = l;
    if (whole->pairwise[l]) {
        layout_chunk_pairwise(model, whole, pass, chunk);
        return;
    }
    chunk->block[l] = 1;
    chunk->block_first[l] = first;
    chunk->block_rows[l] = whole->block_rows[l];
    chunk->row_width[l] = whole->row_width[l];
    chunk->block_width[l] = rows * whole->row_width[l];
    chunk->input_depth[l] = chunk->packed[l] = k * chunk->block_width[l];
    chunk->width = chunk->stride = chunk->input_depth[l];
    chunk->scratch = whole->scratch;
}

/* The sizes kernel_structured_chunking decides from (kernel.h). */
static void layout_chunking_input(const ntk_model *model, const feature_layout *layout,
                                  kernel_chunking *chunking)
{
    const int k = model_outputs(model);
    memset(chunking, 0, sizeof *chunking);
    chunking->n_layers = model->n_layers;
    chunking->k = k;
    for (int l = 1; l <= model->n_layers; ++l) {
        chunking->packed[l] = (double)layout->packed[l];
        if (layout->pairwise[l] && !layout->skip[l]) {
            chunking->pair_positions[l] = layout->positions[l];
            chunking->pair_depth[l] = layout->patch_width[l];
            chunking->pair_channels[l] = layout->channels[l];
        }
        if (layout->block[l]) {
            chunking->block_rows[l] = layout->block_rows[l];
            chunking->row_doubles[l] = (double)k * (double)layout->row_width[l];
        }
    }
}

/* A pairwise layer's rectangle for `per_item` doubles: all patch columns
 * when they take at most half, else all channels when they do, else half
 * each; at least one of each; then spread evenly over the same counts. */
static void pairwise_chunk(const kernel_chunking *chunking, int l, double per_item,
                           int64_t *channels, int64_t *depth)
{
    const double P = (double)chunking->pair_positions[l];
    const int64_t D = chunking->pair_depth[l], C = chunking->pair_channels[l];
    const double per_channel = (P + 1.0) * (double)chunking->k;
    double d, c;
    if (P * (double)D <= 0.5 * per_item) {
        d = (double)D;
        c = floor((per_item - P * d) / per_channel);
    } else if (per_channel * (double)C <= 0.5 * per_item) {
        c = (double)C;
        d = floor((per_item - per_channel * c) / P);
    } else {
        d = floor(0.5 * per_item / P);
        c = floor(0.5 * per_item / per_channel);
    }
    int64_t dd = d < 1.0 ? 1 : d >= (double)D ? D : (int64_t)d;
    int64_t cc = c < 1.0 ? 1 : c >= (double)C ? C : (int64_t)c;
    const int64_t d_passes = (D + dd - 1) / dd, c_passes = (C + cc - 1) / cc;
    *depth = (D + d_passes - 1) / d_passes;
    *channels = (C + c_passes - 1) / c_passes;
}

int64_t kernel_chunk_layer_passes(const kernel_chunking *chunking, int l)
{
    if (!chunking->chunked[l])
        return 0;
    if (chunking->pair_positions[l] > 0) {
        const int64_t C = chunking->pair_channels[l], D = chunking->pair_depth[l];
        const int64_t cc = chunking->chunk_rows[l], dd = chunking->chunk_depth[l];
        return ((C + cc - 1) / cc) * ((D + dd - 1) / dd);
    }
    const int64_t all = chunking->block_rows[l], per = chunking->chunk_rows[l];
    return (all + per - 1) / per;
}

void kernel_chunk_pass_of(const kernel_chunking *chunking, int64_t pass, kernel_chunk_pass *out)
{
    memset(out, 0, sizeof *out);
    for (int l = 1; l <= chunking->n_layers; ++l) {
        const int64_t passes = kernel_chunk_layer_passes(chunking, l);
        if (pass >= passes) {
            pass -= passes;
            continue;
        }
        out->layer = l;
        if (chunking->pair_positions[l] > 0) {
            const int64_t C = chunking->pair_channels[l], D = chunking->pair_depth[l];
            const int64_t cc = chunking->chunk_rows[l], dd = chunking->chunk_depth[l];
            const int64_t d_passes = (D + dd - 1) / dd;
            out->first = (pass / d_passes) * cc;
            out->rows = C - out->first < cc ? C - out->first : cc;
            out->depth_first = (pass % d_passes) * dd;
            out->depth = D - out->depth_first < dd ? D - out->depth_first : dd;
            return;
        }
        const int64_t all = chunking->block_rows[l], per = chunking->chunk_rows[l];
        out->first = pass * per;
        out->rows = all - out->first < per ? all - out->first : per;
        return;
    }
}

void kernel_structured_chunking(double items, double budget_bytes, kernel_chunking *chunking)
{
    const double budget = budget_bytes / 8.0; /* doubles */
    double whole = 0.0;
    for (int l = 1; l <= chunking->n_layers; ++l) {
        whole += chunking->packed[l];
        chunking->chunked[l] = 0;
        chunking->chunk_rows[l] = chunking->pair_positions[l] > 0 ? chunking->pair_channels[l]
                                                                  : chunking->block_rows[l];
        chunking->chunk_depth[l] = chunking->pair_positions[l] > 0 ? chunking->pair_depth[l] : 0;
    }
    chunking->passes = 0;
    chunking->resident = whole;
    chunking->widest_chunk = 0.0;
    if (items < 1.0)
        items = 1.0;
    /* Widest block or pairwise layers out of the vectors until the rest fits. */
    while (items * chunking->resident > budget) {
        int widest = 0;
        for (int l = 1; l <= chunking->n_layers; ++l)
            if ((chunking->block_rows[l] > 0 || chunking->pair_positions[l] > 0) &&
                !chunking->chunked[l] &&
                (widest == 0 || chunking->packed[l] > chunking->packed[widest]))
                widest = l;
        if (widest == 0)
            break; /* what remains cannot be chunked: it is small per input */
        chunking->chunked[widest] = 1;
        chunking->resident -= chunking->packed[widest];
    }
    for (int l = 1; l <= chunking->n_layers; ++l) {
        if (!chunking->chunked[l])
            continue;
        double width;
        if (chunking->pair_positions[l] > 0) {
            pairwise_chunk(chunking, l, budget / items, &chunking->chunk_rows[l],
                           &chunking->chunk_depth[l]);
            width = (double)chunking->pair_positions[l] * (double)chunking->chunk_depth[l] +
                    ((double)chunking->pair_positions[l] + 1.0) * (double)chunking->k *
                        (double)chunking->chunk_rows[l];
        } else {
            const int64_t all = chunking->block_rows[l];
            double fit = floor(budget / (items * chunking->row_doubles[l]));
            int64_t rows = fit < 1.0 ? 1 : fit >= (double)all ? all : (int64_t)fit;
            /* Even passes: the same count with the rows spread evenly. */
            const int64_t passes = (all + rows - 1) / rows;
            rows = (all + passes - 1) / passes;
            chunking->chunk_rows[l] = rows;
            width = (double)rows * chunking->row_doubles[l];
        }
        chunking->passes += kernel_chunk_layer_passes(chunking, l);
        if (width > chunking->widest_chunk)
            chunking->widest_chunk = width;
    }
}

double kernel_chunk_budget_bytes(const ntk_kernel_config *config)
{
    const int64_t mib =
        config->kernel->chunk_mib > 0 ? config->kernel->chunk_mib : NTK_DEFAULT_CHUNK_MIB;
    return (double)mib * 1048576.0;
}

/* Inputs per forward/backward batch: 1024 (measured faster than 256 or 512
 * on dense benchmarks: larger DGEMMs), fewer when one input's buffers are
 * large (conv layers keep k cotangents per position), so a batch's buffers
 * stay within STRUCTURED_FEATURE_BYTES. The bound counts every layer's
 * buffers as its own; model_features_reserve shares an in-place layer's with
 * its input's, and *reserved says what it allocates per input (plan). */
int64_t kernel_structured_feature_batch(const ntk_layer *stack, int n_stack, int k,
                                        double *reserved)
{
    double per_input = (double)k * (double)k + (double)stack[0].in.size;
    double held = (double)k * (double)k + (double)stack[0].in.size; /* cot[n], value[0] */
    for (int i = 0; i < n_stack; ++i) {
        const ntk_layer *layer = &stack[i];
        const double saved = (double)layer->ops->saved_doubles(layer);
        per_input += (double)layer->out.size + (double)k * (double)layer->in.size + saved;
        held += saved;
        if (i + 1 == n_stack)
            held += (double)k;
        else if (!layer->ops->in_place)
            held += (double)layer->out.size;
        if (i >= 1 && !layer->ops->in_place)
            held += (double)k * (double)layer->in.size;
    }
    if (reserved != NULL)
        *reserved = held;
    return kernel_structured_batch(per_input);
}

static int64_t structured_feature_batch(const ntk_model *model)
{
    return kernel_structured_feature_batch(model->stack, model->n_stack, model_outputs(model), NULL);
}

int64_t kernel_structured_batch(double doubles_per_input)
{
    const double budget = STRUCTURED_FEATURE_BYTES / 8.0;
    int64_t batch = (int64_t)(budget / doubles_per_input);
    return batch < 1 ? 1 : batch > STRUCTURED_MAX_BATCH ? STRUCTURED_MAX_BATCH : batch;
}

int64_t kernel_structured_panel_columns(int block)
{
    const int64_t blocks_per_step =
        STRUCTURED_PANEL_COLUMNS / block > 1 ? STRUCTURED_PANEL_COLUMNS / block : 1;
    return blocks_per_step * block;
}

int64_t kernel_structured_row_chunk(void) { return STRUCTURED_ROW_CHUNK; }

/* Forward/backward for the own inputs, packed one feature vector per input
 * into `own` (the own run of the item set). In batches whose buffers are
 * allocated once and reused (fresh memory costs first-touch page faults);
 * 1024 inputs per batch measured faster than 256 or 512 on the benchmark
 * (larger DGEMMs), for about 25 MiB of buffers with 512-wide layers. */
static ntk_status own_features(const ntk_model *model, const ntk_input_block *inputs,
                               const feature_layout *layout, double *own)
{
    const int64_t batch = structured_feature_batch(model);
    int k = model_outputs(model);
    ntk_features features;
    NTK_TRY(model_features_reserve(model, inputs->count < batch ? inputs->count : batch,
                                   &features));
    double *scratch = NULL, *rounded = NULL; /* single: one vector before rounding */
    ntk_status status = NTK_CALLOC(scratch, layout->scratch + 1, "Jacobian block scratch");
    if (status == NTK_OK && layout->single)
        status = NTK_CALLOC(rounded, layout->width, "feature vector");
    for (int64_t first = 0; status == NTK_OK && first < inputs->count; first += batch) {
        int64_t count = inputs->count - first < batch ? inputs->count - first : batch;
        NTK_TRY_GOTO(status, model_features_down_to(model, inputs->x + first * inputs->dim, count,
                                                    layout->lowest, &features), done);
        for (int64_t x = 0; x < count; ++x) {
            double *vector = layout->single ? rounded : own + (first + x) * layout->width;
            for (int l = 1; l <= model->n_layers; ++l) {
                if (layout->skip[l])
                    continue;
                const ntk_layer *layer = model_param_layer(model, l);
                int64_t n_out = layer->out.size, n_in = layer->in.size;
                const double *h = features.input[l] + x * n_in;
                if (layout->pairwise[l]) {
                    layer->ops->pairwise_pack(layer, model, h, features.cotangent[l] + x * k * n_out,
                                              k, layout->pair_part[l] ? &layout->part[l] : NULL,
                                              scratch, vector + layout->input_offset[l]);
                    continue;
                }
                if (layout->block[l]) {
                    layer->ops->jacobian_block(layer, model, h, features.cotangent[l] + x * k * n_out,
                                               k, layout->block_first[l],
                                               layout->block_width[l] / layout->row_width[l],
                                               scratch, vector + layout->input_offset[l]);
                    continue;
                }
                if (layout->rank_one[l]) {
                    /* v = (c a h, s a): the layer's whole term is (1/k) <v, v'>. */
                    double a = features.cotangent[l][x], c = model->weight_scale[l];
                    double *v = vector + layout->input_offset[l];
                    for (int64_t d = 0; d < n_in; ++d)
                        v[d] = c * a * h[d];
                    if (model->has_bias[l])
                        v[n_in] = model->bias_scale[l] * a;
                    continue;
                }
                memcpy(vector + layout->cotangent_offset[l], features.cotangent[l] + x * k * n_out,
                       (size_t)(k * n_out) * sizeof(double));
                memcpy(vector + layout->input_offset[l], h, (size_t)n_in * sizeof(double));
            }
            if (layout->single) {
                float *single = (float *)own + (first + x) * layout->single_stride;
                for (int64_t d = 0; d < layout->width; ++d)
                    single[d] = (float)vector[d];
            }
        }
    }
done:
    free(rounded);
    free(scratch);
    model_features_free(&features);
    return status;
}

/* own_features, its seconds added to the stats' Jacobian part. */
static ntk_status timed_features(const ntk_model *model, const ntk_input_block *inputs,
                                 const feature_layout *layout, double *own, ntk_kernel_stats *stats)
{
    const double start = MPI_Wtime(), cpu_start = kernel_cpu_seconds();
    const ntk_status status = own_features(model, inputs, layout, own);
    stats->jacobian_seconds += MPI_Wtime() - start;
    stats->jacobian_cpu_seconds += kernel_cpu_seconds() - cpu_start;
    return status;
}

/* The distinct inputs of local indices [a0, a1) of `axis`: in place when they
 * are consecutive in the set, else copied into `pack`. */
static void side_make(const structured_context *ctx, const kernel_local_axis *axis, int64_t a0,
                      int64_t a1, double *pack, int64_t *slot, structured_side *side)
{
    const int64_t F = ctx->layout->width;
    const int64_t *position = axis->position;
    const ntk_item_set *set = axis == ctx->row_axis ? ctx->row_set : ctx->col_set;
    int64_t items = 0, consecutive = 1;
    for (int64_t a = a0; a < a1; ++a) {
        if (a == a0 || position[a] != position[a - 1]) {
            consecutive &= position[a] == position[a0] + items;
            ++items;
        }
        slot[a - a0] = items - 1;
    }
    side->items = items;
    side->slot = slot;
    side->vectors = NULL;
    side->singles = NULL;
    if (ctx->layout->single) {
        const int64_t S = ctx->layout->single_stride;
        const float *singles = (const float *)set->vectors;
        if (consecutive || pack == NULL) {
            side->singles = singles + position[a0] * S;
            return;
        }
        float *single_pack = (float *)pack; /* sized for items x stride doubles */
        for (int64_t a = a0; a < a1; ++a)
            if (a == a0 || position[a] != position[a - 1])
                memcpy(single_pack + slot[a - a0] * S, singles + position[a] * S,
                       (size_t)S * sizeof *single_pack);
        side->singles = single_pack;
        return;
    }
    if (consecutive || pack == NULL) { /* pack is NULL only when every run is consecutive */
        side->vectors = set->vectors + position[a0] * F;
        return;
    }
    for (int64_t a = a0; a < a1; ++a)
        if (a == a0 || position[a] != position[a - 1])
            memcpy(pack + slot[a - a0] * F, set->vectors + position[a] * F,
                   (size_t)F * sizeof *pack);
    side->vectors = pack;
}

/* Pairwise form of layer l for inputs a, b (their packed vectors): the patch
 * Gram K[p][p'] = <patch_p(a), patch_p'(b)> into pair[0..P^2). */
static void pairwise_patch_gram(const structured_context *ctx, int l, const double *a,
                                const double *b)
{
    const feature_layout *layout = ctx->layout;
    const int64_t P = layout->positions[l], D = layout->patch_width[l], at = layout->input_offset[l];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)P, (int)P, (int)D, 1.0, a + at,
                (int)D, b + at, (int)D, 0.0, ctx->pair, (int)P);
}

/* sum_{p,p'} <delta_p(a), delta_p'(b)> K[p][p'] over the cotangent columns
 * [first, first + width) of each position's k C values (trace: all k C; full:
 * logit o's C), with K from pairwise_patch_gram; then c^2 times it plus the
 * bias sums' product over the same columns. */
static double pairwise_value(const structured_context *ctx, int l, const double *a,
                             const double *b, int64_t first_a, int64_t first_b, int64_t width)
{
    const feature_layout *layout = ctx->layout;
    const int64_t P = layout->positions[l], D = layout->patch_width[l];
    const int64_t kc = ctx->k * layout->channels[l];
    const double *delta_a = a + layout->input_offset[l] + P * D, *delta_b = b + layout->input_offset[l] + P * D;
    double *gram = ctx->pair + P * P;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)P, (int)P, (int)width, 1.0,
                delta_a + first_a, (int)kc, delta_b + first_b, (int)kc, 0.0, gram, (int)P);
    double sum = 0.0, bias = 0.0;
    for (int64_t e = 0; e < P * P; ++e)
        sum += gram[e] * ctx->pair[e];
    const double *sums_a = delta_a + P * kc, *sums_b = delta_b + P * kc;
    for (int64_t e = 0; e < width; ++e)
        bias += sums_a[first_a + e] * sums_b[first_b + e];
    const double c = ctx->model->weight_scale[l];
    return c * c * sum + bias;
}

/* Trace kernel, a pairwise layer: tile (+)= (1/k) sum over logits, per input pair. */
static double trace_pairwise(const structured_context *ctx, int l, double *tile, int64_t lld,
                             const structured_side *rows, int64_t m, const structured_side *cols,
                             int64_t w, int assign)
{
    const feature_layout *layout = ctx->layout;
    const int64_t F = layout->width, P = layout->positions[l], D = layout->patch_width[l];
    const int64_t kc = ctx->k * layout->channels[l];
    /* Trace sides hold one vector per row/column, in order (as the DGEMMs read them). */
    for (int64_t j = 0; j < w; ++j) {
        const double *b = cols->vectors + j * F;
        for (int64_t i = 0; i < m; ++i) {
            const double *a = rows->vectors + i * F;
            pairwise_patch_gram(ctx, l, a, b);
            const double value = pairwise_value(ctx, l, a, b, 0, 0, kc) / ctx->k;
            tile[j * lld + i] = assign ? value : tile[j * lld + i] + value;
        }
    }
    return (double)m * (double)w * (2.0 * (double)P * (double)P * (double)(D + kc + 1) + 2.0 * (double)kc + 2.0);
}

/* Trace kernel: Theta[r0:r1, c0:c1] = sum_l G_l o (K_l + s_l^2), rows one per input. */
static double trace_tile(const structured_context *ctx, ntk_dmatrix *theta, int64_t r0,
                         int64_t r1, int64_t c0, const structured_side *cols, int64_t w)
{
    const ntk_model *model = ctx->model;
    const feature_layout *layout = ctx->layout;
    const int64_t F = layout->width, lld = theta->local_rows > 1 ? theta->local_rows : 1;
    const int64_t m = r1 - r0;
    const double inv_k = 1.0 / ctx->k;
    structured_side rows;
    side_make(ctx, ctx->row_axis, r0, r1, ctx->row_pack, ctx->row_slot, &rows);
    double *tile = theta->data + c0 * lld + r0;
    double *gram = ctx->gram, *input_gram = ctx->input_gram, *small = ctx->small;
    double flops = 0.0;
    int assign = !ctx->accumulate; /* the tile's first term overwrites it */

    for (int l = 1; l <= model->n_layers; ++l) {
        if (layout->skip[l] || layout->rank_one[l] || layout->block[l])
            continue;
        if (layout->pairwise[l]) {
            flops += trace_pairwise(ctx, l, tile, lld, &rows, m, cols, w, assign);
            assign = 0;
            continue;
        }
        const int64_t n_in = layout->n_in[l], depth_g = ctx->k * layout->n_out[l];
        const int64_t g_offset = layout->cotangent_offset[l], k_offset = layout->input_offset[l];
        const double c2 = model->weight_scale[l] * model->weight_scale[l];
        const double s2 = model->has_bias[l] ? model->bias_scale[l] * model->bias_scale[l] : 0.0;
        /* Per entry: the update's 2 operations (multiply, add s^2), plus the
         * accumulation unless it assigns. */
        const double update = 2.0 + (assign ? 0.0 : 1.0);
        if (n_in <= STRUCTURED_SMALL_DEPTH || depth_g <= STRUCTURED_SMALL_DEPTH) {
            /* The deep Gram as one DGEMM over the tile; the shallow one a
             * column group at a time into a cache-resident temporary, used at
             * once by the update. */
            const int small_k = n_in <= STRUCTURED_SMALL_DEPTH;
            const int64_t deep_offset = small_k ? g_offset : k_offset;
            const int64_t small_offset = small_k ? k_offset : g_offset;
            const int64_t deep_depth = small_k ? depth_g : n_in, small_depth = small_k ? n_in : depth_g;
            cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)m, (int)w, (int)deep_depth,
                        small_k ? inv_k : c2, rows.vectors + deep_offset, (int)F,
                        cols->vectors + deep_offset, (int)F, 0.0, gram, (int)m);
            for (int64_t j0 = 0; j0 < w; j0 += STRUCTURED_SMALL_GROUP) {
                const int64_t wg = w - j0 < STRUCTURED_SMALL_GROUP ? w - j0 : STRUCTURED_SMALL_GROUP;
                cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)m, (int)wg, (int)small_depth,
                            small_k ? c2 : inv_k, rows.vectors + small_offset, (int)F,
                            cols->vectors + j0 * F + small_offset, (int)F, 0.0, small, (int)m);
                for (int64_t j = j0; j < j0 + wg; ++j) {
                    double *restrict t = tile + j * lld;
                    const double *restrict g = gram + j * m, *restrict q = small + (j - j0) * m;
                    /* small_k: g = G, q = K; else g = K, q = G. */
                    if (small_k && assign)
                        for (int64_t i = 0; i < m; ++i)
                            t[i] = g[i] * (q[i] + s2);
                    else if (small_k)
                        for (int64_t i = 0; i < m; ++i)
                            t[i] += g[i] * (q[i] + s2);
                    else if (assign)
                        for (int64_t i = 0; i < m; ++i)
                            t[i] = q[i] * (g[i] + s2);
                    else
                        for (int64_t i = 0; i < m; ++i)
                            t[i] += q[i] * (g[i] + s2);
                }
            }
            flops += (double)m * (double)w * (2.0 * (double)(depth_g + n_in) + update);
        } else {
            cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)m, (int)w, (int)n_in, c2,
                        rows.vectors + k_offset, (int)F, cols->vectors + k_offset, (int)F, 0.0,
                        input_gram, (int)m);
            cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)m, (int)w, (int)depth_g, inv_k,
                        rows.vectors + g_offset, (int)F, cols->vectors + g_offset, (int)F, 0.0, gram,
                        (int)m);
            for (int64_t j = 0; j < w; ++j) {
                double *restrict t = tile + j * lld;
                const double *restrict g = gram + j * m, *restrict kk = input_gram + j * m;
                if (assign)
                    for (int64_t i = 0; i < m; ++i)
                        t[i] = g[i] * (kk[i] + s2);
                else
                    for (int64_t i = 0; i < m; ++i)
                        t[i] += g[i] * (kk[i] + s2);
            }
            flops += (double)m * (double)w * (2.0 * (double)(depth_g + n_in) + update);
        }
        assign = 0;
    }
    /* Rank-one and Jacobian-block layers last: (1/k) <v(x), v(x')>, DGEMMs
     * that accumulate into the tile (beta = 1) rather than clearing it first. */
    for (int l = 1; l <= model->n_layers; ++l) {
        if (layout->skip[l] || (!layout->rank_one[l] && !layout->block[l]))
            continue;
        const int64_t depth = layout->input_depth[l];
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)m, (int)w, (int)depth, inv_k,
                    rows.vectors + layout->input_offset[l], (int)F,
                    cols->vectors + layout->input_offset[l], (int)F, assign ? 0.0 : 1.0, tile,
                    (int)lld);
        flops += 2.0 * (double)m * (double)w * (double)depth;
        assign = 0;
    }
    if (assign) /* every layer is in chunk passes, which add to zeros */
        for (int64_t j = 0; j < w; ++j)
            memset(tile + j * lld, 0, (size_t)m * sizeof(double));
    return flops;
}

/* Full kernel, a Jacobian-block layer: Theta[(x,o),(x',o')] += <J_l^o(x), J_l^o'(x')>,
 * each row's block packed into a contiguous panel, one DGEMM. */
static double full_block_term(const structured_context *ctx, ntk_dmatrix *theta,
                              const structured_side *rows, int64_t r0, int64_t r1, int64_t c0,
                              const structured_side *cols, int64_t w, int l)
{
    const feature_layout *layout = ctx->layout;
    const int64_t F = layout->width, lld = theta->local_rows > 1 ? theta->local_rows : 1;
    const int64_t m = r1 - r0, width = layout->block_width[l], offset = layout->input_offset[l];
    for (int64_t i = 0; i < m; ++i)
        memcpy(ctx->row_panel + i * width,
               rows->vectors + rows->slot[i] * F + offset + ctx->row_axis->output[r0 + i] * width,
               (size_t)width * sizeof(double));
    for (int64_t j = 0; j < w; ++j)
        memcpy(ctx->col_panel + j * width,
               cols->vectors + cols->slot[j] * F + offset + ctx->col_axis->output[c0 + j] * width,
               (size_t)width * sizeof(double));
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)m, (int)w, (int)width, 1.0,
                ctx->row_panel, (int)width, ctx->col_panel, (int)width, 1.0,
                theta->data + c0 * lld + r0, (int)lld);
    return 2.0 * (double)m * (double)w * (double)width;
}

/* Full kernel, a pairwise layer: per entry ((x, o), (x', o'))
 *   c^2 sum_{p,p'} <delta_p^o(x), delta_p'^o'(x')> K[p][p'] + <S^o(x), S^o'(x')>
 *   = c^2 sum_p <delta_p^o(x), Z_p^o'> + <S^o(x), S^o'(x')>,  Z = K delta(x'),
 * with K the patch Gram of x and x' and S the scaled bias sums. Per pair of
 * inputs met in the tile (a run of rows of x, a run of columns of x'), all
 * k x k entries at once in E: K (P x P, depth D), Z = K delta(x') (P x P
 * times P x kC, every logit of x' at once, in the packed layout), then
 * E = S(x) S(x')^T + c^2 sum_p delta_p(x) Z_p^T (k x k, depth C, one DGEMM
 * per position): the position Gram is shared by the k^2 entries, and every
 * step is a DGEMM. Then each row and column of the runs picks its entry. */
static double full_pairwise_term(const structured_context *ctx, ntk_dmatrix *theta,
                                 const structured_side *rows, int64_t r0, int64_t r1, int64_t c0,
                                 const structured_side *cols, int64_t w, int l)
{
    const feature_layout *layout = ctx->layout;
    const int64_t F = layout->width, lld = theta->local_rows > 1 ? theta->local_rows : 1;
    const int64_t m = r1 - r0, P = layout->positions[l], D = layout->patch_width[l];
    const int64_t k = ctx->k, C = layout->channels[l], kc = k * C, at = layout->input_offset[l];
    const double c2 = ctx->model->weight_scale[l] * ctx->model->weight_scale[l];
    double *z = ctx->pair + 2 * P * P; /* Z, P x kC */
    double *e = z + P * kc;            /* E, k x k: E[o][o'] */
    const double pair_flops = 2.0 * (double)P * (double)P * ((double)D + (double)kc) +
                              2.0 * (double)k * (double)k * (double)C * (double)(P + 1);
    double flops = 0.0;
    for (int64_t j0 = 0; j0 < w;) {
        int64_t j1 = j0 + 1;
        while (j1 < w && cols->slot[j1] == cols->slot[j0])
            ++j1;
        const double *b = cols->vectors + cols->slot[j0] * F;
        const double *delta_b = b + at + P * D, *sums_b = delta_b + P * kc;
        int64_t pair_slot = -1;
        for (int64_t i = 0; i < m; ++i) {
            if (rows->slot[i] != pair_slot) {
                const double *a = rows->vectors + rows->slot[i] * F;
                const double *delta_a = a + at + P * D, *sums_a = delta_a + P * kc;
                pairwise_patch_gram(ctx, l, a, b);
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)P, (int)kc, (int)P,
                            1.0, ctx->pair, (int)P, delta_b, (int)kc, 0.0, z, (int)kc);
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)k, (int)k, (int)C, 1.0,
                            sums_a, (int)C, sums_b, (int)C, 0.0, e, (int)k);
                for (int64_t p = 0; p < P; ++p)
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)k, (int)k, (int)C,
                                c2, delta_a + p * kc, (int)C, z + p * kc, (int)C, 1.0, e, (int)k);
                pair_slot = rows->slot[i];
                flops += pair_flops;
            }
            const double *e_row = e + ctx->row_axis->output[r0 + i] * k;
            for (int64_t j = j0; j < j1; ++j)
                theta->data[(c0 + j) * lld + r0 + i] += e_row[ctx->col_axis->output[c0 + j]];
            flops += (double)(j1 - j0);
        }
        j0 = j1;
    }
    return flops;
}

/* Full kernel: Theta[r0:r1, c0:c1] += sum_l G_l o (c_l^2 K_l + s_l^2), rows (x, o). */
static double full_tile(const structured_context *ctx, ntk_dmatrix *theta, int64_t r0, int64_t r1,
                        int64_t c0, const structured_side *cols, int64_t w)
{
    const ntk_model *model = ctx->model;
    const feature_layout *layout = ctx->layout;
    const int64_t F = layout->width, lld = theta->local_rows > 1 ? theta->local_rows : 1;
    const int64_t m = r1 - r0;
    structured_side rows;
    side_make(ctx, ctx->row_axis, r0, r1, ctx->row_pack, ctx->row_slot, &rows);
    double *gram = ctx->gram, *input_gram = ctx->input_gram;
    double flops = 0.0;

    for (int l = 1; l <= model->n_layers; ++l) {
        if (layout->skip[l])
            continue;
        if (layout->block[l]) {
            flops += full_block_term(ctx, theta, &rows, r0, r1, c0, cols, w, l);
            continue;
        }
        if (layout->pairwise[l]) {
            flops += full_pairwise_term(ctx, theta, &rows, r0, r1, c0, cols, w, l);
            continue;
        }
        const int64_t n_out = layout->n_out[l], n_in = layout->n_in[l];
        const double c = model->weight_scale[l];
        const double s2 = model->has_bias[l] ? model->bias_scale[l] * model->bias_scale[l] : 0.0;

        /* K = c^2 <h_{l-1}(x), h_{l-1}(x')> over the distinct inputs of the tile. */
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)rows.items, (int)cols->items,
                    (int)n_in, c * c, rows.vectors + layout->input_offset[l], (int)F,
                    cols->vectors + layout->input_offset[l], (int)F, 0.0, input_gram, (int)rows.items);
        flops += 2.0 * (double)rows.items * (double)cols->items * (double)n_in;

        /* Rows (x, o): pack each row's own delta_l^o(x) into contiguous panels. */
        for (int64_t i = 0; i < m; ++i)
            memcpy(ctx->row_panel + i * n_out,
                   rows.vectors + rows.slot[i] * F + layout->cotangent_offset[l] +
                       ctx->row_axis->output[r0 + i] * n_out,
                   (size_t)n_out * sizeof(double));
        for (int64_t j = 0; j < w; ++j)
            memcpy(ctx->col_panel + j * n_out,
                   cols->vectors + cols->slot[j] * F + layout->cotangent_offset[l] +
                       ctx->col_axis->output[c0 + j] * n_out,
                   (size_t)n_out * sizeof(double));
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)m, (int)w, (int)n_out, 1.0,
                    ctx->row_panel, (int)n_out, ctx->col_panel, (int)n_out, 0.0, gram, (int)m);
        flops += 2.0 * (double)m * (double)w * (double)n_out;
        for (int64_t j = 0; j < w; ++j) {
            double *t = theta->data + (c0 + j) * lld + r0;
            const double *g = gram + j * m;
            const double *kk = input_gram + cols->slot[j] * rows.items;
            for (int64_t i = 0; i < m; ++i)
                t[i] += g[i] * (kk[rows.slot[i]] + s2);
        }
        flops += 3.0 * (double)m * (double)w;
    }
    return flops;
}

/* A trace tile in the job's precision. */
static double trace_tile_of(const structured_context *ctx, ntk_dmatrix *theta, int64_t r0,
                            int64_t r1, int64_t c0, const structured_side *cols, int64_t w)
{
    if (!ctx->layout->single)
        return trace_tile(ctx, theta, r0, r1, c0, cols, w);
    structured_side rows;
    side_make(ctx, ctx->row_axis, r0, r1, ctx->row_pack, ctx->row_slot, &rows);
    return structured_trace_tile_mixed(ctx, theta, r0, r1, c0, &rows, cols, w);
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
    if (ctx->full && !ctx->accumulate) /* full tiles accumulate; trace tiles overwrite */
        for (int64_t j = c0; j < c1; ++j)
            memset(theta->data + j * lld + row_start, 0,
                   (size_t)(local_rows - row_start) * sizeof(double));
    structured_side cols;
    side_make(ctx, ctx->col_axis, c0, c1, ctx->col_pack, ctx->col_slot, &cols);
    double flops = 0.0;
    int64_t full_width_start = row_start;
    if (ctx->lower_only && !ctx->full) {
        /* Near the diagonal, each column block of the panel starts at its own
         * first row: the panel's rows above a block (blocks wholly in the
         * upper triangle) are left alone rather than computed and thrown
         * away. Below the last block's first row, the whole panel at once. */
        const int64_t last_block = c0 + (c1 - 1 - c0) / ctx->block * ctx->block;
        full_width_start = kernel_local_axis_lower_bound(ctx->row_axis, ctx->col_axis->global[last_block]);
        for (int64_t b0 = c0; b0 < last_block; b0 += ctx->block) {
            structured_side block_cols = cols; /* trace: one column per input, slot j = j */
            if (ctx->layout->single)
                block_cols.singles += (b0 - c0) * ctx->layout->single_stride;
            else
                block_cols.vectors += (b0 - c0) * ctx->layout->width;
            block_cols.slot += b0 - c0;
            const int64_t b_start = kernel_local_axis_lower_bound(ctx->row_axis, ctx->col_axis->global[b0]);
            for (int64_t r0 = b_start; r0 < full_width_start; r0 += ctx->row_chunk) {
                int64_t r1 = r0 + ctx->row_chunk < full_width_start ? r0 + ctx->row_chunk
                                                                          : full_width_start;
                flops += trace_tile_of(ctx, theta, r0, r1, b0, &block_cols, ctx->block);
            }
        }
    }
    for (int64_t r0 = full_width_start; r0 < local_rows; r0 += ctx->row_chunk) {
        int64_t r1 = r0 + ctx->row_chunk < local_rows ? r0 + ctx->row_chunk : local_rows;
        flops += ctx->full ? full_tile(ctx, theta, r0, r1, c0, &cols, c1 - c0)
                           : trace_tile_of(ctx, theta, r0, r1, c0, &cols, c1 - c0);
    }
    return flops;
}

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
    if (ctx->layout->single) {
        NTK_TRY(NTK_CALLOC(ctx->gram_single, R * C, "structured kernel tile"));
        NTK_TRY(NTK_CALLOC(ctx->input_gram_single, R * C, "structured kernel tile"));
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
    /* Mixed tiles are computed block by block (structured_mixed.c): a row
     * chunk of whole blocks keeps every block whole. */
    ctx.row_chunk = STRUCTURED_ROW_CHUNK;
    if (layout->single)
        ctx.row_chunk = STRUCTURED_ROW_CHUNK / grid->block > 1
                            ? STRUCTURED_ROW_CHUNK / grid->block * grid->block
                            : grid->block;
    ntk_status status = kernel_local_axis_create(grid, matrix->rows, 1, shape->per_item, row_set,
                                                 &row_axis);
    if (status == NTK_OK)
        status = kernel_local_axis_create(grid, matrix->cols, 0, shape->per_item, col_set,
                                          &col_axis);
    if (status == NTK_OK)
        status = structured_buffers(model, shape->full, shape->panel_columns, &ctx);
    if (status == NTK_OK && ctx.theta_single != NULL)
        status = NTK_CALLOC(ctx.block_scratch, (int64_t)grid->block * grid->block,
                            "structured kernel block");
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
    free(ctx.gram_single);
    free(ctx.input_gram_single);
    free(ctx.block_scratch);
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

/* The chunking every rank agrees on, from the most vectors any rank holds;
 * the layout without the chunked layers. Collective (callers agree before). */
static ntk_status structured_chunks(const ntk_kernel_config *config, const ntk_model *model,
                                    const ntk_grid *grid, int full, double items,
                                    feature_layout *layout, kernel_chunking *chunking)
{
    double most = 0.0;
    NTK_MPI(MPI_Allreduce(&items, &most, 1, MPI_DOUBLE, MPI_MAX, grid->comm));
    layout_chunking_input(model, layout, chunking);
    kernel_structured_chunking(most, kernel_chunk_budget_bytes(config), chunking);
    if (chunking->passes > 0)
        NTK_TRY(layout_make(model, full, config->only_layer, chunking, layout));
    return NTK_OK;
}

int64_t kernel_structured_accumulation_length(const ntk_kernel_config *config,
                                              const ntk_model *model, ntk_status *status)
{
    feature_layout layout;
    const int full = config->kernel->outputs == NTK_OUTPUTS_FULL;
    *status = layout_make(model, full, config->only_layer, NULL, &layout);
    if (*status != NTK_OK)
        return 0;
    const int k = model_outputs(model);
    int64_t longest = 0;
    for (int l = 1; l <= model->n_layers; ++l) {
        if (layout.skip[l])
            continue;
        /* rank-one: one Gram; otherwise the cotangents' and the inputs'
         * (block and pairwise layers: one inner product per entry, which
         * the two-Gram count bounds too). Each Gram adds the rounding of
         * its two operands, 2 u. */
        const int64_t length = layout.rank_one[l] ? layout.input_depth[l] + 2
                               : layout.block[l] || layout.pairwise[l]
                                   ? layout.input_depth[l] + 2
                                   : k * layout.n_out[l] + layout.n_in[l] + 4;
        if (length > longest)
            longest = length;
    }
    return longest;
}

/* The chunk passes of Theta (kernel.h, kernel_structured_chunking): per pass
 * the own inputs' rows of the block, computed into one item set (allocated
 * once at the widest pass) and shared as the resident features are, then
 * added to every tile. Pass p is step panels + p for the hooks. */
static ntk_status chunk_passes(const ntk_model *model, const ntk_grid *grid,
                               const ntk_input_block *inputs, const feature_layout *layout,
                               const kernel_chunking *chunking, const structured_shape *shape,
                               int lower_only, const ntk_assembly_hooks *hooks,
                               int64_t first_step, int64_t steps_all, ntk_dmatrix *theta,
                               ntk_kernel_stats *stats)
{
    ntk_item_set set = {0};
    int64_t own_position = 0;
    const int64_t widest = (int64_t)chunking->widest_chunk;
    ntk_status status = kernel_item_union_create(grid, inputs->n, shape->per_item, theta->rows,
                                                 widest, &set, &own_position);
    status = ntk_agree(status, grid->comm);
    const structured_pass pass_kind = {1, 0, NULL, steps_all, NULL};
    for (int64_t pass = 0; status == NTK_OK && pass < chunking->passes; ++pass) {
        const int64_t step = shape->steps_total + pass;
        if (step < first_step)
            continue; /* a resumed run's Theta holds it */
        kernel_chunk_pass part;
        kernel_chunk_pass_of(chunking, pass, &part);
        feature_layout chunk;
        layout_chunk(model, layout, &part, &chunk);
        status = timed_features(model, inputs, &chunk, set.vectors + own_position * chunk.width,
                                stats);
        status = ntk_agree(status, grid->comm);
        if (status == NTK_OK)
            status = kernel_item_union_share(grid, inputs->n, shape->per_item, theta->rows,
                                             chunk.width, &set);
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
        status = layout_make(model, shape.full, config->only_layer, NULL, &layout);
    if (status == NTK_OK)
        status = union_items(grid, inputs->n, &shape, theta, &items);
    NTK_TRY(ntk_agree(status, grid->comm));
    NTK_TRY(structured_chunks(config, model, grid, shape.full, items, &layout, &chunking));
    if (config->kernel->precision != NTK_PRECISION_FLOAT64)
        NTK_TRY(ntk_agree(layout_make_single(model, &layout), grid->comm));
    const int64_t steps_all = shape.steps_total + chunking.passes;
    const int64_t first_step = hooks ? hooks->first_step : 0;
    stats->steps_total = steps_all;

    if (first_step < shape.steps_total) {
        status = kernel_item_union_create(grid, inputs->n, shape.per_item, theta->rows,
                                          layout.stride, &set, &own_position);
        if (status == NTK_OK)
            status = timed_features(model, inputs, &layout,
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
        status = chunk_passes(model, grid, inputs, &layout, &chunking, &shape, lower_only, hooks,
                              first_step, steps_all, theta, stats);
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
        status = timed_features(model, rows, layout, own_rows, stats);
    if (status == NTK_OK)
        status = timed_features(model, cols, layout, own_cols, stats);
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
    NTK_TRY(ntk_agree(layout_make(model, shape.full, config->only_layer, NULL, &layout), grid->comm));
    /* Vectors held at once, an upper bound: the items behind the local rows
     * and columns, both own blocks, and the tile copies (structured_buffers). */
    const int64_t local_rows = grid_local_count(cross->rows, grid->block, grid->myrow, grid->rows);
    const int64_t local_cols = grid_local_count(cross->cols, grid->block, grid->mycol, grid->cols);
    const double items =
        (double)(2 * local_rows + 2 * local_cols + rows->count + cols->count);
    NTK_TRY(structured_chunks(config, model, grid, shape.full, items, &layout, &chunking));
    /* kernel.precision float32's predictions: float32 features and products */
    if (config->kernel->precision != NTK_PRECISION_FLOAT64)
        NTK_TRY(ntk_agree(layout_make_single(model, &layout), grid->comm));
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
        layout_chunk(model, &layout, &part, &chunk);
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
