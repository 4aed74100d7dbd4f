/* layer_norm and batch_norm against finite differences, in flat and image
 * networks, both parameterisations, with and without biases, with gamma,
 * beta and the running statistics away from their seeded values:
 *   - every layer alone: backward (batched and one-input) equals the
 *     central difference of <v, forward(a)> in each input value, and the
 *     batched forward equals the one-input forward;
 *   - the whole network: Jacobian rows (jacobian_one, gamma and beta
 *     included) equal central differences of model_forward in each
 *     parameter;
 *   - layer_norm's output has mean beta and, with gamma = 1, variance
 *     var / (var + eps) over the channels of every position. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "layer_fd_checks.h"

extern const ntk_layer_ops ntk_layer_conv, ntk_layer_flatten, ntk_layer_layer_norm,
    ntk_layer_batch_norm;

/* gamma, beta and the running statistics away from 1, 0, 0, 1. */
static void perturb_normalisation(ntk_model *model)
{
    for (int i = 0; i < model->n_stack; ++i) {
        const ntk_layer *layer = &model->stack[i];
        const int l = layer->param;
        if (l == 0 || !layer->ops->affine)
            continue;
        for (int64_t c = 0; c < model->weight_shape[l].count; ++c) {
            model->weight[l][c] = 1.0 + 0.5 * ntk_random_normal(80, (uint64_t)l, (uint64_t)c);
            if (model->has_bias[l])
                model->bias[l][c] = 0.3 * ntk_random_normal(81, (uint64_t)l, (uint64_t)c);
        }
        const int64_t size = layer->ops->n_buffers > 0 ? layer->ops->buffer_size(layer) : 0;
        for (int64_t c = 0; c < size; ++c) {
            model->buffer[l][c] = 0.4 * ntk_random_normal(82, (uint64_t)l, (uint64_t)c);
            model->buffer[l][size + c] = 0.5 + fabs(ntk_random_normal(83, (uint64_t)l, (uint64_t)c));
        }
    }
}

/* layer_norm with gamma = 1, beta = b: every position's mean is b and its
 * variance var / (var + eps) of its input's. */
static void check_layer_norm_moments(const char *label, const ntk_model *model)
{
    for (int i = 0; i < model->n_stack; ++i) {
        const ntk_layer *layer = &model->stack[i];
        if (layer->ops != &ntk_layer_layer_norm)
            continue;
        const int l = layer->param;
        const int64_t channels = layer->in.dim[layer->in.rank - 1];
        ntk_model copy = *model;
        double *gamma = calloc((size_t)channels, sizeof *gamma);
        for (int64_t c = 0; c < channels; ++c)
            gamma[c] = 1.0;
        copy.weight[l] = gamma;
        copy.has_bias[l] = 0;
        double *a = calloc((size_t)layer->in.size, sizeof *a), *y = calloc((size_t)layer->in.size, sizeof *y);
        double *saved = calloc((size_t)layer->ops->saved_doubles(layer) + 1, sizeof *saved);
        fill(a, layer->in.size, 90);
        layer->ops->forward_one(layer, &copy, a, y, saved);
        double worst = 0.0;
        for (int64_t e = 0; e < layer->in.size; e += channels) {
            double mean = 0.0, var = 0.0, out_mean = 0.0, out_var = 0.0;
            for (int64_t c = 0; c < channels; ++c)
                mean += a[e + c] / (double)channels, out_mean += y[e + c] / (double)channels;
            for (int64_t c = 0; c < channels; ++c) {
                var += (a[e + c] - mean) * (a[e + c] - mean) / (double)channels;
                out_var += (y[e + c] - out_mean) * (y[e + c] - out_mean) / (double)channels;
            }
            worst = fmax(worst, fabs(out_mean));
            worst = fmax(worst, fabs(out_var - var / (var + 1e-5)));
        }
        CHECK(worst < 1e-13, "%s: layer_norm's output moments off by %.3g", label, worst);
        free(gamma), free(a), free(y), free(saved);
    }
}

static ntk_layer_spec with(const ntk_layer_ops *ops, int64_t a, int64_t b, int64_t c)
{
    ntk_layer_spec layer = {ops, {a, b, c, 1, 1, 1, 0, 0}, 0, 0, ""};
    if (ops == &ntk_layer_layer_norm || ops == &ntk_layer_batch_norm)
        ntk_layer_default_options(ops, layer.option);
    return layer;
}

int main(void)
{
    int cases = 0;
    for (int image = 0; image < 2; ++image)
        for (int param = 0; param < 2; ++param)
            for (int bias = 0; bias < 2; ++bias) {
                ntk_model_spec spec;
                memset(&spec, 0, sizeof spec);
                spec.parameterization = (ntk_parameterization)param;
                spec.w_std = 1.3;
                spec.b_std = bias ? 0.4 : 0.0;
                spec.seed = 60 + (uint64_t)cases;
                int n = 0;
                ntk_shape input;
                if (image) { /* conv, batch_norm, tanh, layer_norm over channels, flatten */
                    spec.layers[n++] = with(&ntk_layer_conv, 3, 3, 2);
                    spec.layers[n++] = with(&ntk_layer_batch_norm, 0, 0, 0);
                    spec.layers[n++] = with(&ntk_layer_tanh, 0, 0, 0);
                    spec.layers[n++] = with(&ntk_layer_layer_norm, 0, 0, 0);
                    spec.layers[n++] = with(&ntk_layer_flatten, 0, 0, 0);
                    input = (ntk_shape){3, {5, 4, 2}, 40};
                } else { /* dense, layer_norm, tanh, dense, batch_norm */
                    spec.layers[n++] = with(&ntk_layer_dense, 7, 0, 0);
                    spec.layers[n++] = with(&ntk_layer_layer_norm, 0, 0, 0);
                    spec.layers[n++] = with(&ntk_layer_tanh, 0, 0, 0);
                    spec.layers[n++] = with(&ntk_layer_dense, 5, 0, 0);
                    spec.layers[n++] = with(&ntk_layer_batch_norm, 0, 0, 0);
                    input = (ntk_shape){1, {6, 0, 0}, 6};
                }
                spec.layers[n++] = with(&ntk_layer_dense, K, 0, 0);
                spec.n_layers = n;
                char label[96];
                snprintf(label, sizeof label, "%s/%s/%s", image ? "image" : "flat",
                         param ? "standard" : "ntk", bias ? "bias" : "nobias");
                ntk_model model;
                if (model_create_shaped(&spec, &input, &model) != NTK_OK) {
                    CHECK(0, "%s: model_create: %s", label, ntk_error_message());
                    continue;
                }
                perturb_normalisation(&model);
                check_layers(label, &model);
                check_jacobian(label, &model);
                check_layer_norm_moments(label, &model);
                model_destroy(&model);
                ++cases;
            }
    if (failures) {
        fprintf(stderr, "%d failures in %d cases\n", failures, cases);
        return 1;
    }
    printf("ok: %d networks with layer_norm and batch_norm\n", cases);
    return 0;
}
