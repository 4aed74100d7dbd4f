/* The structured kernel's tiles: one step of Theta's local part from the
 * packed feature vectors (docs/design.md, "Structured form").
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
#include <string.h>

#include "kernel/structured_internal.h"

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
double structured_step(const structured_context *ctx, ntk_dmatrix *theta, int64_t step)
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
