/* layer_norm, `layer_norm` or {layer_norm: {eps: E, name: P}}: torch's
 * nn.LayerNorm(C) over the last axis (the channels of each position),
 *
 *   xhat = (x - mean) / sqrt(var + eps),   y = c gamma xhat + s beta
 *
 * with the biased variance (torch's), eps 1e-5 by default, gamma and beta
 * its parameters (c = s = 1, model/layer.h `affine`; layers/normalisation.c
 * does their part). Backward, per position with g = c gamma delta:
 *
 *   d f / d x = (g - mean(g) - xhat mean(g xhat)) / sqrt(var + eps)
 *
 * so the forward pass saves xhat and 1 / sqrt(var + eps).
 *
 * Infinite width (ntk parameterisation, docs/layers.md "layer_norm at
 * infinite width"): on Gaussian values of zero mean over the channels (a
 * dense or conv layer's output), mean -> 0 and var -> Sigma(x, x), so the
 * layer is the deterministic scale 1 / sqrt(Sigma(x, x) + eps) of the
 * values, their NNGP and their NTK; gamma and beta (1 and 0 at
 * initialisation) add <xhat(x), xhat(x')> / C + 1 to the NTK of every
 * channel, which is exact when a layer with parameters reads the channels
 * next (it averages them); before an activation it is not (the activation's
 * derivative weighs the gamma term unit by unit), so the analytic kernel
 * refuses an activation right after layer_norm. */
#include <math.h>

#include "model/layers/normalisation.h"

/* moments: the mean and 1 / sqrt(var + eps) of a position. */
static void layer_norm_moments(const ntk_layer *layer, const double *position, double *moments)
{
    const int64_t channels = normalisation_channels(layer);
    double mean = 0.0, variance = 0.0;
    for (int64_t ch = 0; ch < channels; ++ch)
        mean += position[ch];
    mean /= (double)channels;
    for (int64_t ch = 0; ch < channels; ++ch) {
        const double d = position[ch] - mean;
        variance += d * d;
    }
    variance /= (double)channels;
    moments[0] = mean;
    moments[1] = 1.0 / sqrt(variance + ntk_option_real(layer->option, NORMALISATION_EPS));
}

static double layer_norm_xhat(const ntk_layer *layer, const ntk_model *model,
                              const double *position, const double *moments, int64_t channel)
{
    (void)layer;
    (void)model;
    return (position[channel] - moments[0]) * moments[1];
}

static const normalisation_kind layer_norm_kind = {layer_norm_moments, layer_norm_xhat};

/* Saved per input: xhat (in.size), then 1 / sqrt(var + eps) per position. */
static int64_t layer_norm_saved_doubles(const ntk_layer *layer)
{
    return layer->in.size + ntk_layer_positions(&layer->in);
}

static void layer_norm_forward_one(const ntk_layer *layer, const ntk_model *model,
                                   const double *in, double *out, double *saved)
{
    const int64_t channels = normalisation_channels(layer);
    double *xhat = saved, *inverse = saved + layer->in.size;
    double moments[2];
    for (int64_t e = 0, q = 0; e < layer->in.size; e += channels, ++q) {
        layer_norm_moments(layer, in + e, moments);
        inverse[q] = moments[1];
        for (int64_t ch = 0; ch < channels; ++ch)
            xhat[e + ch] = (in[e + ch] - moments[0]) * moments[1];
    }
    normalisation_affine(layer, model, xhat, layer->in.size, out);
}

static void layer_norm_backward_one(const ntk_layer *layer, const ntk_model *model,
                                    const double *cot_out, const double *saved, double *cot_in)
{
    const int l = layer->param;
    const int64_t channels = normalisation_channels(layer);
    const double c = model->weight_scale[l], *gamma = model->weight[l];
    const double *xhat = saved, *inverse = saved + layer->in.size;
    for (int64_t e = 0, q = 0; e < layer->in.size; e += channels, ++q) {
        double mean_g = 0.0, mean_gx = 0.0;
        for (int64_t ch = 0; ch < channels; ++ch) {
            const double g = c * gamma[ch] * cot_out[e + ch];
            mean_g += g;
            mean_gx += g * xhat[e + ch];
        }
        mean_g /= (double)channels;
        mean_gx /= (double)channels;
        for (int64_t ch = 0; ch < channels; ++ch) {
            const double g = c * gamma[ch] * cot_out[e + ch];
            cot_in[e + ch] = inverse[q] * (g - mean_g - xhat[e + ch] * mean_gx);
        }
    }
}

static void layer_norm_forward(const ntk_layer *layer, const ntk_model *model, const double *in,
                               int64_t count, double *out, double *saved)
{
    const int64_t per_input = layer_norm_saved_doubles(layer);
    for (int64_t x = 0; x < count; ++x)
        layer_norm_forward_one(layer, model, in + x * layer->in.size, out + x * layer->out.size,
                               saved + x * per_input);
}

/* Rows (x, o) of input x share its saved xhat. */
static void layer_norm_backward(const ntk_layer *layer, const ntk_model *model,
                                const double *cot_out, int64_t count, int k, const double *saved,
                                double *cot_in)
{
    const int64_t per_input = layer_norm_saved_doubles(layer);
    for (int64_t r = 0; r < count * k; ++r)
        layer_norm_backward_one(layer, model, cot_out + r * layer->out.size,
                                saved + (r / k) * per_input, cot_in + r * layer->in.size);
}

static void layer_norm_jacobian_one(const ntk_layer *layer, const ntk_model *model,
                                    const double *in, const double *cot_out, int64_t begin,
                                    int64_t end, double *row)
{
    normalisation_jacobian_one(layer, model, &layer_norm_kind, in, cot_out, begin, end, row);
}

static void layer_norm_jacobian_block(const ntk_layer *layer, const ntk_model *model,
                                      const double *in, const double *cot_out, int k,
                                      int64_t first, int64_t rows, double *scratch, double *block)
{
    normalisation_jacobian_block(layer, model, &layer_norm_kind, in, cot_out, k, first, rows,
                                 scratch, block);
}

/* The map of the comment at the top, pair by pair of positions: with
 * r = 1 / sqrt(Sigma(x, x) + eps) at p and r' at p',
 *   Sigma' = r r' Sigma,   Theta' = r r' Theta + Sigma' + 1. */
static int layer_norm_analytic_spatial(const ntk_layer *layer,
                                       const ntk_analytic_context *context,
                                       ntk_spatial_state *state)
{
    (void)context;
    if (!state->is_gaussian || !state->has_theta)
        return 1;
    const double eps = ntk_option_real(layer->option, NORMALISATION_EPS);
    const int64_t positions = state->positions;
    const int full = state->form == NTK_ANALYTIC_FULL;
    const int64_t columns = full ? positions : 1;
    for (int64_t p = 0; p < positions; ++p)
        for (int64_t column = 0; column < columns; ++column) {
            const int64_t q = full ? column : p;
            const int64_t at = p * columns + column;
            const double scale = 1.0 / sqrt((state->variance_1[p] + eps) *
                                            (state->variance_2[q] + eps));
            const double sigma = scale * state->sigma[at];
            state->next_sigma[at] = sigma;
            state->next_theta[at] = scale * state->theta[at] + sigma + 1.0;
        }
    return 0;
}

static double layer_norm_analytic_flops(const ntk_layer *layer, int64_t positions,
                                        ntk_analytic_form input_form,
                                        ntk_analytic_form output_form, int quadrature_order)
{
    (void)layer;
    (void)output_form;
    (void)quadrature_order;
    const double pairs = input_form == NTK_ANALYTIC_FULL ? (double)positions * (double)positions
                                                         : (double)positions;
    return 30.0 * pairs;
}

static void layer_norm_cost(const ntk_layer *layer, int k, int full, int quadrature_order,
                            ntk_layer_cost *cost)
{
    (void)quadrature_order;
    normalisation_cost(layer, k, full, 5.0 * (double)layer->in.size,
                       (double)layer_norm_saved_doubles(layer), cost);
}

const ntk_layer_ops ntk_layer_layer_norm = {
    .name = "layer_norm",
    .bare = 1,
    .options = normalisation_options,
    .n_options = NORMALISATION_OPTION_COUNT,
    .infer = normalisation_infer,
    .tensors = normalisation_tensors,
    .fan_in = normalisation_fan_in,
    .saved_doubles = layer_norm_saved_doubles,
    .forward = layer_norm_forward,
    .backward = layer_norm_backward,
    .forward_one = layer_norm_forward_one,
    .backward_one = layer_norm_backward_one,
    .jacobian_one = layer_norm_jacobian_one,
    .structured_term = normalisation_structured_term,
    .jacobian_block = layer_norm_jacobian_block,
    .block_shape = normalisation_block_shape,
    .analytic_spatial = layer_norm_analytic_spatial,
    .analytic_spatial_flops = layer_norm_analytic_flops,
    .param_vjp = ntk_layer_param_vjp_by_block,
    .param_jvp = ntk_layer_param_jvp_by_block,
    .cost = layer_norm_cost,
    .affine = 1,
    .analytic_needs_variances = 1,
};
