/* The parameters' part of layer_norm and batch_norm (layers/normalisation.h). */
#include "model/layers/normalisation.h"

#include <math.h>
#include <stdio.h>

const ntk_layer_option normalisation_options[NORMALISATION_OPTION_COUNT] = {
    /* torch's eps (LayerNorm, BatchNorm: 1e-5), added to the variance */
    {.key = "eps", .kind = NTK_OPTION_REAL, .slot = NORMALISATION_EPS,
     .requirement = "a positive number (added to the variance)", .real_minimum = 1e-300,
     .real_maximum = 1e300, .real_default = 1e-5, .quiet = 1},
};

int normalisation_infer(const int64_t *option, const ntk_shape *in, ntk_shape *out, char *why,
                        size_t why_size)
{
    (void)option;
    const int64_t channels = in->dim[in->rank - 1];
    if (channels > 2147483647 / 2) {
        snprintf(why, why_size, "%lld channels is too many: at most %d", (long long)channels,
                 2147483647 / 2);
        return 1;
    }
    *out = *in;
    return 0;
}

void normalisation_tensors(const ntk_layer *layer, ntk_tensor_shape *weight,
                           ntk_tensor_shape *bias)
{
    const int64_t channels = normalisation_channels(layer);
    *weight = (ntk_tensor_shape){1, {channels, 0, 0, 0}, channels};
    *bias = (ntk_tensor_shape){1, {channels, 0, 0, 0}, channels};
}

int64_t normalisation_fan_in(const ntk_layer *layer)
{
    (void)layer;
    return 1;
}

void normalisation_affine(const ntk_layer *layer, const ntk_model *model, const double *xhat,
                          int64_t values, double *out)
{
    const int l = layer->param;
    const int64_t channels = normalisation_channels(layer);
    const double c = model->weight_scale[l], s = model->bias_scale[l];
    const double *gamma = model->weight[l], *beta = model->has_bias[l] ? model->bias[l] : NULL;
    for (int64_t e = 0; e < values; e += channels)
        for (int64_t ch = 0; ch < channels; ++ch)
            out[e + ch] = c * gamma[ch] * xhat[e + ch] + (beta ? s * beta[ch] : 0.0);
}

void normalisation_xhat_of(const ntk_layer *layer, const ntk_model *model,
                           const normalisation_kind *kind, const double *in, double *xhat)
{
    const int64_t channels = normalisation_channels(layer);
    double moments[2] = {0.0, 0.0};
    for (int64_t e = 0; e < layer->in.size; e += channels) {
        kind->moments(layer, in + e, moments);
        for (int64_t ch = 0; ch < channels; ++ch)
            xhat[e + ch] = kind->xhat(layer, model, in + e, moments, ch);
    }
}

/* Entries [begin, end) of (gamma, beta): a position's moments once, then
 * the entries' channels, so no buffer of xhat is needed. */
void normalisation_jacobian_one(const ntk_layer *layer, const ntk_model *model,
                                const normalisation_kind *kind, const double *in,
                                const double *cot_out, int64_t begin, int64_t end, double *row)
{
    const int l = layer->param;
    const int64_t channels = normalisation_channels(layer);
    const double c = model->weight_scale[l], s = model->has_bias[l] ? model->bias_scale[l] : 0.0;
    double moments[2] = {0.0, 0.0};
    for (int64_t p = begin; p < end; ++p)
        row[p - begin] = 0.0;
    for (int64_t e = 0; e < layer->in.size; e += channels) {
        kind->moments(layer, in + e, moments);
        for (int64_t p = begin; p < end; ++p) {
            const int is_gamma = p < channels;
            const int64_t ch = is_gamma ? p : p - channels;
            const double delta = cot_out[e + ch];
            row[p - begin] += is_gamma ? c * delta * kind->xhat(layer, model, in + e, moments, ch)
                                       : s * delta;
        }
    }
}

/* Channels [first, first + rows): their gammas then their betas per logit,
 * from xhat of the whole input made once into `scratch` (in.size). */
void normalisation_jacobian_block(const ntk_layer *layer, const ntk_model *model,
                                  const normalisation_kind *kind, const double *in,
                                  const double *cot_out, int k, int64_t first, int64_t rows,
                                  double *scratch, double *block)
{
    const int l = layer->param;
    const int64_t channels = normalisation_channels(layer), width = 2 * rows;
    const double c = model->weight_scale[l], s = model->has_bias[l] ? model->bias_scale[l] : 0.0;
    normalisation_xhat_of(layer, model, kind, in, scratch);
    for (int o = 0; o < k; ++o) {
        const double *delta = cot_out + (int64_t)o * layer->out.size;
        double *row = block + o * width;
        for (int64_t r = 0; r < width; ++r)
            row[r] = 0.0;
        for (int64_t e = 0; e < layer->in.size; e += channels)
            for (int64_t r = 0; r < rows; ++r) {
                const double d = delta[e + first + r];
                row[r] += d * scratch[e + first + r];
                row[rows + r] += d;
            }
        for (int64_t r = 0; r < rows; ++r) {
            row[r] *= c;
            row[rows + r] *= s;
        }
    }
}

/* A row is one channel: its gamma and its beta. */
void normalisation_block_shape(const ntk_layer *layer, ntk_block_shape *shape)
{
    shape->rows = normalisation_channels(layer);
    shape->row_width = 2;
    shape->scratch_doubles = layer->in.size;
}

void normalisation_structured_term(const ntk_layer *layer, int k, int full,
                                   ntk_structured_term *term)
{
    (void)k;
    (void)full;
    ntk_block_shape shape;
    normalisation_block_shape(layer, &shape);
    term->cotangent_width = layer->out.size;
    term->input_width = layer->in.size;
    term->block_width = shape.rows * shape.row_width;
    term->block_rows = shape.rows;
    term->block_row_width = shape.row_width;
    term->scratch_doubles = shape.scratch_doubles;
}

void normalisation_cost(const ntk_layer *layer, int k, int full, double pass_flops, double saved,
                        ntk_layer_cost *cost)
{
    const double block = 2.0 * (double)normalisation_channels(layer);
    const double size = (double)layer->in.size;
    cost->forward_flops = pass_flops;
    cost->backward_flops = pass_flops;
    cost->feature_doubles = size + (double)k * (double)layer->out.size + saved;
    cost->pass_scratch_doubles = 0.0;
    cost->structured_form = "jacobian block";
    cost->packed_doubles = (double)k * block;
    cost->block_pair_flops = 2.0 * (full ? 1.0 : (double)k) * block;
    cost->tile_flops_per_pair = cost->block_pair_flops;
    cost->widest = (int64_t)block;
    /* xhat once, then k passes over the cotangents */
    cost->block_flops = 2.0 * size + (double)k * 2.0 * size;
    ntk_layer_block_products_cost(layer, k, cost->block_flops, cost);
}
