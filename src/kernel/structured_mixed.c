/* kernel.precision mixed for the structured trace kernel (docs/precision.md):
 * the per-layer Grams are float32 products of the float32 feature vectors
 * (rounded from the forward/backward pass, whose dense layers' GEMMs are
 * float32 too: model/single_passes.h, structured_features.c), by the
 * fixed-order SGEMM (core/fixed_sgemm.h), whose bits do not depend on the
 * tile's shape as OpenBLAS's SGEMM's do, and each layer's
 * term G_l o (K_l + s_l^2) is formed and summed over the layers in float64,
 * straight into Theta (float64). So a Gram entry carries the float32 error
 * of one inner product (its depth times the unit roundoff at worst) and the
 * sum over layers adds nothing of float32's.
 *
 * Dense layers: their two Grams (the cotangents' over k n_l, the inputs'
 * over n_{l-1}), or the rank-one form (k n_l == 1: v = (c a h, s a), one
 * SGEMM). Jacobian-block layers (conv in the block form, batch and layer
 * norm): (1/k) <J_l(x), J_l(x')>, one SGEMM over the k x block_width
 * values, as the rank-one form. Conv layers in the pairwise form: per pair
 * of inputs the two P x P position Grams (patches over D, cotangents over
 * k C) are SGEMMs and their Hadamard sum, the bias sums' product and the
 * scales are formed in float64. A chunk pass (kernel.chunk_mib) holds one
 * range of a block layer's rows (a pairwise layer's rectangle) and adds its
 * products in float64 as a further term. The first term of a tile assigns,
 * the rest add, as in the float64 tile, so a step's result never depends on
 * what Theta held before. */
#include <cblas.h>
#include <string.h>

#include "core/fixed_sgemm.h"
#include "kernel/structured_internal.h"

/* A pairwise layer's term for the mb x wb inputs of a tile (structured_tiles.c,
 * trace_pairwise, in float64): (1/k) (c^2 sum_{p,p'} G[p][p'] K[p][p'] + <S, S'>)
 * with K the patch Gram and G the cotangent Gram, each an SGEMM of one pair of
 * inputs, so its shape never depends on the grid. */
static double pairwise_terms(const structured_context *ctx, int l, double *tile, int64_t lld,
                             const float *a, const float *b, int64_t mb, int64_t wb, int assign)
{
    const feature_layout *layout = ctx->layout;
    const int64_t S = layout->single_stride, at = layout->input_offset[l];
    const int64_t P = layout->positions[l], D = layout->patch_width[l];
    const int64_t kc = ctx->k * layout->channels[l];
    const double c = ctx->model->weight_scale[l], c2 = c * c, inv_k = 1.0 / (double)ctx->k;
    float *patch_gram = (float *)ctx->pair, *delta_gram = patch_gram + P * P; /* 2 P^2 doubles */
    for (int64_t j = 0; j < wb; ++j) {
        const float *y = b + j * S + at;
        for (int64_t i = 0; i < mb; ++i) {
            const float *x = a + i * S + at;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)P, (int)P, (int)D, 1.0f, x,
                        (int)D, y, (int)D, 0.0f, patch_gram, (int)P);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)P, (int)P, (int)kc, 1.0f,
                        x + P * D, (int)kc, y + P * D, (int)kc, 0.0f, delta_gram, (int)P);
            double sum = 0.0, bias = 0.0;
            for (int64_t e = 0; e < P * P; ++e)
                sum += (double)delta_gram[e] * (double)patch_gram[e];
            const float *sums_x = x + P * D + P * kc, *sums_y = y + P * D + P * kc;
            for (int64_t e = 0; e < kc; ++e)
                bias += (double)sums_x[e] * (double)sums_y[e];
            double *t = tile + j * lld + i;
            *t = (assign ? 0.0 : *t) + inv_k * (c2 * sum + bias);
        }
    }
    return (double)mb * (double)wb *
           (2.0 * (double)P * (double)P * (double)(D + kc + 1) + 2.0 * (double)kc + 2.0);
}

/* The tile's mb x wb entries, rows `a` and columns `b` (float32 vectors, S
 * floats apart). Every layer's term, summed in float64. */
static double tile_terms(const structured_context *ctx, double *tile, int64_t lld,
                          const float *a, const float *b, int64_t mb, int64_t wb, int assign)
{
    const ntk_model *model = ctx->model;
    const feature_layout *layout = ctx->layout;
    const int64_t S = layout->single_stride;
    const double inv_k = 1.0 / (double)ctx->k;
    float *gram = ctx->gram_single, *input_gram = ctx->input_gram_single;
    double flops = 0.0;
    for (int l = 1; l <= model->n_layers; ++l) {
        if (layout->skip[l])
            continue;
        if (layout->pairwise[l]) {
            flops += pairwise_terms(ctx, l, tile, lld, a, b, mb, wb, assign);
            assign = 0;
            continue;
        }
        if (layout->rank_one[l] || layout->block[l]) {
            const int64_t depth = layout->input_depth[l], at = layout->input_offset[l];
            ntk_fixed_sgemm_tn(mb, wb, depth, a + at, S, b + at, S, gram, mb);
            for (int64_t j = 0; j < wb; ++j) {
                double *restrict t = tile + j * lld;
                const float *restrict g = gram + j * mb;
                for (int64_t i = 0; i < mb; ++i)
                    t[i] = (assign ? 0.0 : t[i]) + inv_k * (double)g[i];
            }
            flops += (double)mb * (double)wb * (2.0 * (double)depth + 2.0);
            assign = 0;
            continue;
        }
        const int64_t n_in = layout->n_in[l], depth_g = ctx->k * layout->n_out[l];
        const int64_t k_at = layout->input_offset[l], g_at = layout->cotangent_offset[l];
        const double c2 = model->weight_scale[l] * model->weight_scale[l];
        const double s2 = model->has_bias[l] ? model->bias_scale[l] * model->bias_scale[l] : 0.0;
        /* The scales c^2 and 1/k applied in float64 to the float32 Grams:
         * they add no float32 rounding of their own. */
        ntk_fixed_sgemm_tn(mb, wb, n_in, a + k_at, S, b + k_at, S, input_gram, mb);
        ntk_fixed_sgemm_tn(mb, wb, depth_g, a + g_at, S, b + g_at, S, gram, mb);
        for (int64_t j = 0; j < wb; ++j) {
            double *restrict t = tile + j * lld;
            const float *restrict g = gram + j * mb, *restrict kk = input_gram + j * mb;
            for (int64_t i = 0; i < mb; ++i)
                t[i] = (assign ? 0.0 : t[i]) + inv_k * (double)g[i] * (c2 * (double)kk[i] + s2);
        }
        flops += (double)mb * (double)wb * (2.0 * (double)(depth_g + n_in) + 5.0);
        assign = 0;
    }
    if (assign) /* no layer in the vectors: the tile is zero */
        for (int64_t j = 0; j < wb; ++j)
            memset(tile + j * lld, 0, (size_t)mb * sizeof(double));
    return flops;
}

/* The whole tile at once: the fixed-order SGEMM (core/fixed_sgemm.h) gives
 * an entry the same bits whatever the call's shape, so the tile's shape,
 * which follows the grid and the number of ranks, does not reach Theta. */
double structured_trace_tile_mixed(const structured_context *ctx, ntk_dmatrix *theta, int64_t r0,
                                   int64_t r1, int64_t c0, const structured_side *rows,
                                   const structured_side *cols, int64_t w)
{
    const int64_t lld = theta->local_rows > 1 ? theta->local_rows : 1;
    const int64_t m = r1 - r0, at = c0 * lld + r0;
    if (ctx->theta_single == NULL)
        return tile_terms(ctx, theta->data + at, lld, rows->singles, cols->singles, m, w,
                          !ctx->accumulate);
    /* float32: the tile's terms summed in float64, stored rounded once; a
     * chunk pass adds its term to the stored value in float64 and rounds the
     * sum again (one rounding per pass, counted in the error statement's P) */
    const double flops = tile_terms(ctx, ctx->tile_scratch, m, rows->singles, cols->singles, m, w, 1);
    float *stored = ctx->theta_single + at;
    for (int64_t j = 0; j < w; ++j)
        for (int64_t i = 0; i < m; ++i)
            stored[j * lld + i] = (float)((ctx->accumulate ? (double)stored[j * lld + i] : 0.0) +
                                          ctx->tile_scratch[j * m + i]);
    return flops;
}
