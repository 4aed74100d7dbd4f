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

#include "model_test_util.h"

extern const ntk_layer_ops ntk_layer_conv, ntk_layer_flatten, ntk_layer_layer_norm,
    ntk_layer_batch_norm;

enum { COUNT = 2, K = 2 };

static double max_abs(const double *v, int64_t n)
{
    double m = 0.0;
    for (int64_t i = 0; i < n; ++i)
        m = fmax(m, fabs(v[i]));
    return m;
}

static void fill(double *v, int64_t n, uint64_t seed)
{
    for (int64_t i = 0; i < n; ++i)
        v[i] = ntk_random_normal(seed, 77, (uint64_t)i);
}

/* Each layer alone: backward vs finite differences of <v, forward(a)>. */
static void check_layers(const char *label, const ntk_model *model)
{
    for (int i = 0; i < model->n_stack; ++i) {
        const ntk_layer *layer = &model->stack[i];
        const int64_t n_in = layer->in.size, n_out = layer->out.size;
        const int64_t saved_n = layer->ops->saved_doubles(layer) + 1;
        double *a = calloc((size_t)(COUNT * n_in), sizeof *a);
        double *v = calloc((size_t)(COUNT * K * n_out), sizeof *v);
        double *out = calloc((size_t)(COUNT * n_out), sizeof *out);
        double *out_one = calloc((size_t)n_out, sizeof *out_one);
        double *saved = calloc((size_t)(COUNT * saved_n), sizeof *saved);
        double *saved_one = calloc((size_t)saved_n, sizeof *saved_one);
        double *g = calloc((size_t)(COUNT * K * n_in), sizeof *g);
        double *g_one = calloc((size_t)n_in, sizeof *g_one);
        double *shifted = calloc((size_t)n_in, sizeof *shifted);
        fill(a, COUNT * n_in, 3 + (uint64_t)i);
        fill(v, COUNT * K * n_out, 5 + (uint64_t)i);
        layer->ops->forward(layer, model, a, COUNT, out, saved);
        layer->ops->backward(layer, model, v, COUNT, K, saved, g);
        double forward_error = 0.0, backward_error = 0.0, fd_error = 0.0;
        const double scale = fmax(max_abs(g, COUNT * K * n_in), 1e-300);
        for (int64_t x = 0; x < COUNT; ++x) {
            layer->ops->forward_one(layer, model, a + x * n_in, out_one, saved_one);
            for (int64_t j = 0; j < n_out; ++j)
                forward_error = fmax(forward_error, fabs(out_one[j] - out[x * n_out + j]));
            for (int o = 0; o < K; ++o) {
                const double *row = v + (x * K + o) * n_out;
                layer->ops->backward_one(layer, model, row, saved_one, g_one);
                for (int64_t j = 0; j < n_in; ++j) {
                    backward_error = fmax(backward_error, fabs(g_one[j] - g[(x * K + o) * n_in + j]));
                    /* d/da_j <v, f(a)> by central differences */
                    double sums[2];
                    for (int side = 0; side < 2; ++side) {
                        for (int64_t q = 0; q < n_in; ++q)
                            shifted[q] = a[x * n_in + q];
                        shifted[j] += side ? -1e-5 : 1e-5;
                        layer->ops->forward_one(layer, model, shifted, out_one, saved_one);
                        sums[side] = 0.0;
                        for (int64_t q = 0; q < n_out; ++q)
                            sums[side] += row[q] * out_one[q];
                    }
                    const double fd = (sums[0] - sums[1]) / 2e-5;
                    fd_error = fmax(fd_error, fabs(fd - g_one[j]) / fmax(fabs(g_one[j]), 1e-3 * scale));
                }
                layer->ops->forward_one(layer, model, a + x * n_in, out_one, saved_one);
            }
        }
        const double out_scale = fmax(max_abs(out, COUNT * n_out), 1.0);
        CHECK(forward_error <= 1e-13 * out_scale, "%s: layer %d (%s): batched forward differs by %.3g",
              label, i, layer->ops->name, forward_error);
        CHECK(backward_error <= 1e-13 * scale, "%s: layer %d (%s): batched backward differs by %.3g",
              label, i, layer->ops->name, backward_error);
        CHECK(fd_error < 1e-6, "%s: layer %d (%s): backward vs finite differences: %.3g", label, i,
              layer->ops->name, fd_error);
        free(a), free(v), free(out), free(out_one), free(saved), free(saved_one), free(g),
            free(g_one), free(shifted);
    }
}

/* The network: Jacobian rows vs finite differences in every parameter. */
static void check_jacobian(const char *label, ntk_model *model)
{
    const int k = model_outputs(model);
    const int64_t P = model->n_params, dim = model->stack[0].in.size, rows_n = COUNT * k;
    double *x = calloc((size_t)(COUNT * dim), sizeof *x);
    double *jac = calloc((size_t)(rows_n * P), sizeof *jac);
    double *params = calloc((size_t)P, sizeof *params);
    double *plus = calloc((size_t)rows_n, sizeof *plus), *minus = calloc((size_t)rows_n, sizeof *minus);
    test_inputs(x, COUNT, dim, 9);
    CHECK(model_jacobian_rows(model, x, COUNT, 0, P, jac) == NTK_OK, "%s: jacobian rows: %s", label,
          ntk_error_message());
    const double scale = max_abs(jac, rows_n * P);
    model_get_params(model, params);
    double worst = 0.0;
    for (int64_t p = 0; p < P; ++p) {
        const double saved = params[p], step = 1e-5 * fmax(1.0, fabs(saved));
        params[p] = saved + step;
        model_set_params(model, params);
        model_forward(model, x, COUNT, plus);
        params[p] = saved - step;
        model_set_params(model, params);
        model_forward(model, x, COUNT, minus);
        params[p] = saved;
        for (int64_t r = 0; r < rows_n; ++r) {
            const double fd = (plus[r] - minus[r]) / (2.0 * step), exact = jac[r * P + p];
            worst = fmax(worst, fabs(fd - exact) / fmax(fabs(exact), 1e-3 * scale));
        }
    }
    model_set_params(model, params);
    CHECK(scale > 0.0 && worst < 1e-6, "%s: jacobian vs finite differences: %.3g", label, worst);
    free(x), free(jac), free(params), free(plus), free(minus);
}

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
