/* Products of a conv layer with the Jacobian of its own parameters, for a
 * batch of inputs (see conv_products.h). With P(x) the patch matrix of input
 * x (positions x D, D = C_in kh kw) and delta^o(x) its output cotangent
 * (positions x C_out), the layer's part of the Jacobian is
 *
 *   d f_o(x) / d W = c delta^o(x)^T P(x),   d f_o(x) / d b = s sum_p delta^o(x)[p]
 *
 * so a weighted sum of rows only needs the weighted cotangent E(x) = sum_o
 * weight(x, o) delta^o(x), and G_W += c E^T P is one DGEMM over all
 * positions of a chunk of inputs; the other way, Z(x) = c P(x) U_W^T + s u_b
 * is the layer's forward pass with the direction U as its parameters, and
 * out(x, o) += <delta^o(x), Z(x)>. */
#include "model/layers/conv_products.h"

#include <cblas.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/memory.h"

static int64_t patch_depth(const conv_geometry *g) { return g->c_in * g->kh * g->kw; }

/* Inputs per chunk of patch matrices: whole inputs within the scratch bound
 * and BLAS's int dimensions (a chunk's rows are inputs x positions), at
 * least one (conv_infer checked that one input's positions fit an int). */
static int64_t chunk_inputs(const conv_geometry *g, int64_t count)
{
    int64_t chunk = CONV_PRODUCT_SCRATCH_DOUBLES / (g->positions * patch_depth(g));
    const int64_t by_blas = INT_MAX / g->positions;
    if (chunk > by_blas)
        chunk = by_blas;
    if (chunk < 1)
        chunk = 1;
    return chunk < count ? chunk : count;
}

int64_t conv_product_scratch_doubles(const conv_geometry *g)
{
    return chunk_inputs(g, INT64_MAX) * g->positions * patch_depth(g);
}

/* Each half: the DGEMM over positions (positions C_out D), the bias
 * (positions C_out) and k out.size for the weighted cotangents (vjp) or the
 * dot products (jvp); building the patch matrices moves positions D values
 * and is not counted. */
void conv_products_cost(const ntk_layer *layer, const conv_geometry *g, int k,
                        ntk_layer_cost *cost)
{
    const double positions = (double)g->positions, depth = (double)patch_depth(g);
    const double n_out = (double)layer->out.size, c_out = n_out / positions;
    cost->product_flops = 2.0 * (positions * c_out * (depth + 1.0) + (double)k * n_out);
    cost->product_width = layer->out.size;
    cost->product_scratch_doubles = positions * depth;
    cost->product_scratch_limit = (double)conv_product_scratch_doubles(g);
}

/* The patch matrices of inputs [first, first + n), one after the other. */
static void chunk_patches(const conv_geometry *g, const double *in, int64_t in_size,
                          int64_t first, int64_t n, double *patches)
{
    const int64_t per = g->positions * patch_depth(g);
    for (int64_t x = 0; x < n; ++x)
        conv_patches(g, in + (first + x) * in_size, patches + x * per);
}

ntk_status conv_products_vjp(const ntk_layer *layer, const ntk_model *model,
                             const conv_geometry *g, const double *in, const double *cot_out,
                             int64_t count, int k, const double *weight, double *scratch,
                             double *grad)
{
    if (count < 1)
        return NTK_OK;
    const int l = layer->param;
    const int64_t depth = patch_depth(g), n_out = layer->out.size;
    const int64_t c_out = n_out / g->positions;
    /* E(x) in the lent scratch (count x out.size): one cotangent per input,
     * so the DGEMM below runs once whatever k and the weights are. */
    for (int64_t x = 0; x < count; ++x) {
        double *e = scratch + x * n_out;
        memset(e, 0, sizeof(double) * (size_t)n_out);
        for (int o = 0; o < k; ++o) {
            const double w = weight[x * k + o];
            const double *delta = cot_out + (x * k + o) * n_out;
            if (w != 0.0) /* the trace kernel weighs one logit at a time */
                for (int64_t j = 0; j < n_out; ++j)
                    e[j] += w * delta[j];
        }
    }
    const int64_t chunk = chunk_inputs(g, count);
    double *patches = NULL;
    NTK_TRY(NTK_CALLOC(patches, chunk * g->positions * depth,
                       "conv patch matrices of a matrix-free product"));
    for (int64_t first = 0; first < count; first += chunk) {
        const int64_t n = count - first < chunk ? count - first : chunk;
        chunk_patches(g, in, layer->in.size, first, n, patches);
        /* G_W (C_out x D) += c E^T P over the chunk's inputs x positions rows. */
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)c_out, (int)depth,
                    (int)(n * g->positions), model->weight_scale[l], scratch + first * n_out,
                    (int)c_out, patches, (int)depth, 1.0, grad, (int)depth);
    }
    free(patches);
    if (model->has_bias[l]) {
        double *bias = grad + c_out * depth;
        const double s = model->bias_scale[l];
        for (int64_t row = 0; row < count * g->positions; ++row)
            for (int64_t c = 0; c < c_out; ++c)
                bias[c] += s * scratch[row * c_out + c];
    }
    return NTK_OK;
}

ntk_status conv_products_jvp(const ntk_layer *layer, const ntk_model *model,
                             const conv_geometry *g, const double *in, const double *cot_out,
                             int64_t count, int k, const double *direction, double *scratch,
                             double *out)
{
    if (count < 1)
        return NTK_OK;
    const int l = layer->param;
    const int64_t depth = patch_depth(g), n_out = layer->out.size;
    const int64_t c_out = n_out / g->positions;
    const int64_t chunk = chunk_inputs(g, count);
    double *patches = NULL;
    NTK_TRY(NTK_CALLOC(patches, chunk * g->positions * depth,
                       "conv patch matrices of a matrix-free product"));
    /* Z (count x out.size, in the lent scratch) = c P U_W^T, chunk by chunk. */
    for (int64_t first = 0; first < count; first += chunk) {
        const int64_t n = count - first < chunk ? count - first : chunk;
        chunk_patches(g, in, layer->in.size, first, n, patches);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(n * g->positions),
                    (int)c_out, (int)depth, model->weight_scale[l], patches, (int)depth,
                    direction, (int)depth, 0.0, scratch + first * n_out, (int)c_out);
    }
    free(patches);
    if (model->has_bias[l]) {
        const double *bias = direction + c_out * depth;
        const double s = model->bias_scale[l];
        for (int64_t row = 0; row < count * g->positions; ++row)
            for (int64_t c = 0; c < c_out; ++c)
                scratch[row * c_out + c] += s * bias[c];
    }
    /* out(x, o) += <delta^o(x), Z(x)>: k out.size per input, small next to
     * the DGEMM, and out.size need not fit a BLAS int. */
    for (int64_t x = 0; x < count; ++x) {
        const double *z = scratch + x * n_out;
        for (int o = 0; o < k; ++o) {
            const double *delta = cot_out + (x * k + o) * n_out;
            double sum = 0.0;
            for (int64_t j = 0; j < n_out; ++j)
                sum += delta[j] * z[j];
            out[x * k + o] += sum;
        }
    }
    return NTK_OK;
}
