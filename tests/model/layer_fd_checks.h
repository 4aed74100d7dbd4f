/* Finite-difference checks shared by the layer tests (test_conv_layers.c,
 * test_norm_layers.c): every layer of a model alone (backward, batched and
 * one-input, against central differences of <v, forward(a)>; batched
 * forward against the one-input forward) and the whole network's Jacobian
 * rows against central differences of model_forward in each parameter. */
#ifndef NTK_TESTS_MODEL_LAYER_FD_CHECKS_H
#define NTK_TESTS_MODEL_LAYER_FD_CHECKS_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "model_test_util.h"

enum { COUNT = 2, K = 2 };

static inline double max_abs(const double *v, int64_t n)
{
    double m = 0.0;
    for (int64_t i = 0; i < n; ++i)
        m = fmax(m, fabs(v[i]));
    return m;
}

static inline void fill(double *v, int64_t n, uint64_t seed)
{
    for (int64_t i = 0; i < n; ++i)
        v[i] = ntk_random_normal(seed, 77, (uint64_t)i);
}

/* Each layer alone: backward vs finite differences of <v, forward(a)>. */
static inline void check_layers(const char *label, const ntk_model *model)
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
static inline void check_jacobian(const char *label, ntk_model *model)
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

#endif
