/* batch_norm in evaluation mode, `batch_norm` or {batch_norm: {eps: E, name:
 * P}}: torch's nn.BatchNorm1d/2d after model.eval(), per channel (the last
 * axis),
 *
 *   y = c gamma (x - running_mean) / sqrt(running_var + eps) + s beta
 *
 * with gamma, beta its parameters (c = s = 1, model/layer.h `affine`) and
 * running_mean, running_var buffers: P.running_mean and P.running_var of
 * the weights file, 0 and 1 in a seeded model (torch's initial values);
 * P.num_batches_tracked is ignored. The NTK of the deployed network: an
 * affine map of x, so its backward pass saves nothing, and its parameters'
 * part is layers/normalisation.c. It has no infinite-width limit in
 * ntkgram (its statistics are fixed numbers of a trained network):
 * kernel.kind analytic is refused naming it. */
#include <math.h>

#include "model/layers/normalisation.h"

enum { BATCH_NORM_MEAN = 0, BATCH_NORM_VARIANCE = 1 };
static const char *const batch_norm_buffer_names[] = {"running_mean", "running_var"};
static const double batch_norm_buffer_defaults[] = {0.0, 1.0};

static int64_t batch_norm_buffer_size(const ntk_layer *layer)
{
    return normalisation_channels(layer);
}

static void batch_norm_moments(const ntk_layer *layer, const double *position, double *moments)
{
    (void)layer;
    (void)position;
    (void)moments;
}

static double batch_norm_xhat(const ntk_layer *layer, const ntk_model *model,
                              const double *position, const double *moments, int64_t channel)
{
    (void)moments;
    const int64_t channels = normalisation_channels(layer);
    const double *mean = model->buffer[layer->param], *variance = mean + channels;
    const double eps = ntk_option_real(layer->option, NORMALISATION_EPS);
    return (position[channel] - mean[channel]) / sqrt(variance[channel] + eps);
}

static const normalisation_kind batch_norm_kind = {batch_norm_moments, batch_norm_xhat};

/* d y / d x = c gamma / sqrt(running_var + eps), per channel. */
static double batch_norm_slope(const ntk_layer *layer, const ntk_model *model, int64_t channel)
{
    const int l = layer->param;
    const double *variance = model->buffer[l] + normalisation_channels(layer);
    const double eps = ntk_option_real(layer->option, NORMALISATION_EPS);
    return model->weight_scale[l] * model->weight[l][channel] / sqrt(variance[channel] + eps);
}

static void batch_norm_forward_one(const ntk_layer *layer, const ntk_model *model,
                                   const double *in, double *out, double *saved)
{
    (void)saved;
    normalisation_xhat_of(layer, model, &batch_norm_kind, in, out);
    normalisation_affine(layer, model, out, layer->out.size, out);
}

static void batch_norm_backward_one(const ntk_layer *layer, const ntk_model *model,
                                    const double *cot_out, const double *saved, double *cot_in)
{
    (void)saved;
    const int64_t channels = normalisation_channels(layer);
    for (int64_t e = 0; e < layer->in.size; e += channels)
        for (int64_t ch = 0; ch < channels; ++ch)
            cot_in[e + ch] = cot_out[e + ch] * batch_norm_slope(layer, model, ch);
}

/* The batch as one long run of positions: y = a x + b per channel. */
static void batch_norm_forward(const ntk_layer *layer, const ntk_model *model, const double *in,
                               int64_t count, double *out, double *saved)
{
    (void)saved;
    const int l = layer->param;
    const int64_t channels = normalisation_channels(layer), values = count * layer->in.size;
    const double *mean = model->buffer[l];
    const double s = model->bias_scale[l];
    for (int64_t ch = 0; ch < channels; ++ch) {
        const double a = batch_norm_slope(layer, model, ch);
        const double b = (model->has_bias[l] ? s * model->bias[l][ch] : 0.0) - a * mean[ch];
        for (int64_t e = ch; e < values; e += channels)
            out[e] = a * in[e] + b;
    }
}

static void batch_norm_backward(const ntk_layer *layer, const ntk_model *model,
                                const double *cot_out, int64_t count, int k, const double *saved,
                                double *cot_in)
{
    (void)saved;
    const int64_t channels = normalisation_channels(layer);
    const int64_t values = count * (int64_t)k * layer->in.size;
    for (int64_t ch = 0; ch < channels; ++ch) {
        const double a = batch_norm_slope(layer, model, ch);
        for (int64_t e = ch; e < values; e += channels)
            cot_in[e] = a * cot_out[e];
    }
}

static void batch_norm_jacobian_one(const ntk_layer *layer, const ntk_model *model,
                                    const double *in, const double *cot_out, int64_t begin,
                                    int64_t end, double *row)
{
    normalisation_jacobian_one(layer, model, &batch_norm_kind, in, cot_out, begin, end, row);
}

static void batch_norm_jacobian_block(const ntk_layer *layer, const ntk_model *model,
                                      const double *in, const double *cot_out, int k,
                                      int64_t first, int64_t rows, double *scratch, double *block)
{
    normalisation_jacobian_block(layer, model, &batch_norm_kind, in, cot_out, k, first, rows,
                                 scratch, block);
}

static void batch_norm_cost(const ntk_layer *layer, int k, int full, int quadrature_order,
                            ntk_layer_cost *cost)
{
    (void)quadrature_order;
    normalisation_cost(layer, k, full, (double)layer->in.size, 0.0, cost);
}

const ntk_layer_ops ntk_layer_batch_norm = {
    .name = "batch_norm",
    .bare = 1,
    .options = normalisation_options,
    .n_options = NORMALISATION_OPTION_COUNT,
    .infer = normalisation_infer,
    .tensors = normalisation_tensors,
    .fan_in = normalisation_fan_in,
    .saved_doubles = ntk_layer_saves_nothing,
    .forward = batch_norm_forward,
    .backward = batch_norm_backward,
    .forward_one = batch_norm_forward_one,
    .backward_one = batch_norm_backward_one,
    .jacobian_one = batch_norm_jacobian_one,
    .structured_term = normalisation_structured_term,
    .jacobian_block = batch_norm_jacobian_block,
    .block_shape = normalisation_block_shape,
    .param_vjp = ntk_layer_param_vjp_by_block,
    .param_jvp = ntk_layer_param_jvp_by_block,
    .cost = batch_norm_cost,
    .affine = 1,
    .n_buffers = 2,
    .buffer_names = batch_norm_buffer_names,
    .buffer_defaults = batch_norm_buffer_defaults,
    .buffer_size = batch_norm_buffer_size,
};
