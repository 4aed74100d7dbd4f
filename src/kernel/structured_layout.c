/* The structured kernel's feature layout (which values each input's vector
 * holds, layer by layer, and where), the chunk passes a memory budget
 * leads to, and the batch and tile sizes (docs/design.md, "Structured
 * form"). Rank-local. */
#include <math.h>
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
ntk_status structured_layout_make(const ntk_model *model, int full, int only_layer,
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

/* kernel.precision mixed and float32: the vectors hold floats, two to a
 * double of the item set (which moves and stores whole vectors of `stride`
 * doubles, so the exchange and its memory are halved without a float copy
 * of its code). Every structured term has float32 products
 * (structured_mixed.c): dense layers, Jacobian blocks (conv layers in the
 * block form, batch and layer norm) and conv layers in the pairwise form.
 * Rank-local. */
void structured_layout_make_single(feature_layout *layout)
{
    layout->single = 1;
    layout->single_passes = 1;
    /* Each segment (a layer's cotangents, inputs, v or block) starts at a
     * multiple of 8 floats and each vector at one of 16, so with the item
     * set's 64-byte alignment every inner product of the fixed-order SGEMM
     * (core/fixed_sgemm.h) reads whole 32-byte words: a vector 16 bytes off
     * runs it at two thirds of its speed. The gaps stay zero and are never
     * read. The segments keep their order; only offsets and widths move. */
    int64_t at = 0;
    for (int l = 1; l < NTK_MAX_DENSE + 2; ++l) {
        if (layout->skip[l] || layout->input_depth[l] == 0)
            continue;
        const int64_t cotangents = layout->input_offset[l] - layout->cotangent_offset[l];
        at = (at + 7) / 8 * 8;
        layout->cotangent_offset[l] = at;
        if (cotangents > 0)
            at = (at + cotangents + 7) / 8 * 8;
        layout->input_offset[l] = at;
        at += layout->input_depth[l];
    }
    if (at > layout->width)
        layout->width = at;
    layout->single_stride = (layout->width + 15) / 16 * 16;
    layout->stride = layout->single_stride / 2;
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
void structured_layout_chunk(const ntk_model *model, const feature_layout *whole,
                             const kernel_chunk_pass *pass, feature_layout *chunk)
{
    const int k = model_outputs(model), l = pass->layer;
    const int64_t first = pass->first, rows = pass->rows;
    memset(chunk, 0, sizeof *chunk);
    chunk->full = whole->full;
    chunk->batch = whole->batch;
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
void structured_layout_chunking(const ntk_model *model, const feature_layout *layout,
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
 * stay within STRUCTURED_FEATURE_BYTES and, with the layers' pass scratch
 * (scratch_per_input: conv's patch matrices), within a quarter of
 * kernel.chunk_mib (budget_bytes), which covers them too. The bound counts every layer's
 * buffers as its own; model_features_reserve shares an in-place layer's with
 * its input's, and *reserved says what it allocates per input (plan). */
int64_t kernel_structured_feature_batch(const ntk_layer *stack, int n_stack, int k,
                                        double budget_bytes, double scratch_per_input,
                                        double *reserved)
{
    double per_input = (double)k * (double)k + (double)stack[0].in.size + scratch_per_input;
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
    return kernel_structured_batch(per_input, budget_bytes);
}

int64_t kernel_structured_batch(double doubles_per_input, double budget_bytes)
{
    const double budget = fmin(STRUCTURED_FEATURE_BYTES, 0.25 * budget_bytes) / 8.0;
    int64_t batch = (int64_t)(budget / doubles_per_input);
    return batch < 1 ? 1 : batch > STRUCTURED_MAX_BATCH ? STRUCTURED_MAX_BATCH : batch;
}

void kernel_structured_overhead_of(const ntk_layer *stack, int n_stack, int k, int full,
                                   int quadrature_order, double budget_bytes, int64_t own_count,
                                   int64_t local_rows, int64_t local_cols, int block,
                                   kernel_structured_overhead *overhead)
{
    memset(overhead, 0, sizeof *overhead);
    /* The layers' pass scratch per input counts towards the batch's share. */
    double scratch_per_input = 0.0;
    for (int i = 0; i < n_stack; ++i) {
        ntk_layer_cost cost;
        memset(&cost, 0, sizeof cost);
        stack[i].ops->cost(&stack[i], k, full, quadrature_order, &cost);
        scratch_per_input = fmax(scratch_per_input, cost.pass_scratch_per_input);
    }
    double reserved = 0.0;
    overhead->batch = kernel_structured_feature_batch(stack, n_stack, k, budget_bytes,
                                                      scratch_per_input, &reserved);
    const double batch = fmin((double)own_count, (double)overhead->batch);
    overhead->batch_doubles = batch * reserved;
    for (int i = 0; i < n_stack; ++i) {
        const ntk_layer *layer = &stack[i];
        ntk_layer_cost cost;
        memset(&cost, 0, sizeof cost);
        layer->ops->cost(layer, k, full, quadrature_order, &cost);
        const double scratch = cost.pass_scratch_per_input > 0.0
                                   ? fmin(batch * cost.pass_scratch_per_input, cost.pass_scratch_doubles)
                                   : cost.pass_scratch_doubles;
        overhead->pass_scratch = fmax(overhead->pass_scratch, scratch);
        if (!ntk_layer_has_parameters(layer->ops) || layer->ops->structured_term == NULL)
            continue;
        ntk_structured_term term;
        memset(&term, 0, sizeof term);
        layer->ops->structured_term(layer, k, full, &term);
        overhead->block_scratch = fmax(overhead->block_scratch, (double)term.scratch_doubles);
    }
    /* Tiles never exceed the local matrix (structured_buffers sizes them so). */
    const double panel = fmin((double)kernel_structured_panel_columns(block), fmax(1.0, (double)local_cols));
    const double chunk = fmin((double)STRUCTURED_ROW_CHUNK, fmax(1.0, (double)local_rows));
    overhead->tiles = 2.0 * chunk * panel + 2.5 * (double)(local_rows + local_cols);
    overhead->tile_vectors = full ? (chunk + panel) / (double)k : 0.0;
}

double kernel_chunk_vector_budget(double budget_bytes, const kernel_structured_overhead *overhead)
{
    const double pass = overhead->batch_doubles + overhead->pass_scratch + overhead->block_scratch;
    const double fixed = 8.0 * fmax(pass, overhead->tiles);
    return fmax(budget_bytes - fixed, 0.25 * budget_bytes);
}

int64_t kernel_structured_panel_columns(int block)
{
    const int64_t blocks_per_step =
        STRUCTURED_PANEL_COLUMNS / block > 1 ? STRUCTURED_PANEL_COLUMNS / block : 1;
    return blocks_per_step * block;
}

double kernel_chunk_decision_bytes(const ntk_kernel_config *config,
                                   const kernel_structured_overhead *overhead)
{
    const double floats = config->kernel->precision != NTK_PRECISION_FLOAT64 ? 2.0 : 1.0;
    return floats * kernel_chunk_vector_budget(kernel_chunk_budget_bytes(config), overhead);
}

int64_t kernel_structured_row_chunk(void) { return STRUCTURED_ROW_CHUNK; }
