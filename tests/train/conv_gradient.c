/* The training gradient (train/gradient.c, through each layer's param_vjp)
 * on conv networks: equal to (1 / (N k)) J^T r from the explicit Jacobian
 * rows (model_jacobian_rows, an independent one-input forward/backward) to
 * 1e-12, and to central differences of the loss in every parameter; the
 * squared error is sum r^2. Smooth activations (a ReLU kink inside a
 * difference step would fail the check, not the code). 2-D and 1-D networks, same, valid and circular
 * padding, strides 1 and 2, avg_pool, global_avg_pool and flatten, both
 * parameterisations, with and without bias. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../model/model_test_util.h"
#include "train/gradient.h"

extern const ntk_layer_ops ntk_layer_conv, ntk_layer_avg_pool, ntk_layer_global_avg_pool,
    ntk_layer_flatten;

enum { N = 5, SAME = 0, VALID = 1, CIRCULAR = 2, NETWORKS = 3 };

static ntk_layer_spec conv(int64_t channels, int64_t kh, int64_t kw, int64_t stride,
                           int64_t padding)
{
    ntk_layer_spec layer = {&ntk_layer_conv, {channels, kh, kw, stride, stride, padding, 0, 0},
                            0, 0, ""};
    return layer;
}

static ntk_layer_spec plain(const ntk_layer_ops *ops, int64_t a)
{
    ntk_layer_spec layer = {ops, {a, a, 0, 0, 0, 0, 0, 0}, 0, 0, ""};
    return layer;
}

/* loss = sum r^2 / (2 N k) at the model's current parameters. */
static double loss_of(const ntk_model *model, const double *x, const double *y, double *f)
{
    const int k = model_outputs(model);
    CHECK(model_forward(model, x, N, f) == NTK_OK, "forward: %s", ntk_error_message());
    double sum = 0.0;
    for (int64_t i = 0; i < (int64_t)N * k; ++i)
        sum += (f[i] - y[i]) * (f[i] - y[i]);
    return sum / (2.0 * N * k);
}

static void check_network(const char *label, ntk_model *model)
{
    const int k = model_outputs(model);
    const int64_t p = model->n_params, dim = model->stack[0].in.size;
    double *x = calloc((size_t)(N * dim), sizeof *x), *y = calloc((size_t)(N * k), sizeof *y);
    double *f = calloc((size_t)(N * k), sizeof *f), *jac = calloc((size_t)(N * k * p), sizeof *jac);
    double *grad = calloc((size_t)p, sizeof *grad), *params = calloc((size_t)p, sizeof *params);
    test_inputs(x, N, dim, 23);
    test_inputs(y, N, k, 29);
    const double normaliser = (double)N * k;
    ntk_features features;
    CHECK(model_features(model, x, N, &features) == NTK_OK, "%s: features: %s", label,
          ntk_error_message());
    double squared = 0.0;
    CHECK(training_block_gradient(model, &features, y, normaliser, grad, &squared) == NTK_OK,
          "%s: gradient: %s", label, ntk_error_message());
    model_features_free(&features);

    /* (1 / (N k)) J^T r and sum r^2 from the independent path. */
    CHECK(model_jacobian_rows(model, x, N, 0, p, jac) == NTK_OK, "%s: jacobian: %s", label,
          ntk_error_message());
    const double loss = loss_of(model, x, y, f);
    CHECK(fabs(squared - 2.0 * normaliser * loss) <= 1e-13 * squared, "%s: squared error %.17g",
          label, squared);
    double exact_error = 0.0, scale = 0.0;
    for (int64_t q = 0; q < p; ++q) {
        double reference = 0.0;
        for (int64_t r = 0; r < (int64_t)N * k; ++r)
            reference += (f[r] - y[r]) * jac[r * p + q];
        reference /= normaliser;
        exact_error = fmax(exact_error, fabs(grad[q] - reference));
        scale = fmax(scale, fabs(reference));
    }
    CHECK(scale > 0.0 && exact_error <= 1e-12 * scale, "%s: gradient vs J^T r: %.3g", label,
          exact_error / scale);

    /* Central differences of the loss in every parameter. */
    model_get_params(model, params);
    double fd_error = 0.0;
    for (int64_t q = 0; q < p; ++q) {
        const double saved = params[q], step = 1e-5 * fmax(1.0, fabs(saved));
        params[q] = saved + step;
        model_set_params(model, params);
        const double plus = loss_of(model, x, y, f);
        params[q] = saved - step;
        model_set_params(model, params);
        const double minus = loss_of(model, x, y, f);
        params[q] = saved;
        const double fd = (plus - minus) / (2.0 * step);
        fd_error = fmax(fd_error, fabs(fd - grad[q]) / fmax(fabs(grad[q]), 1e-3 * scale));
    }
    model_set_params(model, params);
    CHECK(fd_error < 1e-6, "%s: gradient vs finite differences: %.3g", label, fd_error);
    printf("%s: %lld parameters, vs J^T r %.1e, vs finite differences %.1e\n", label,
           (long long)p, exact_error / scale, fd_error);
    free(x), free(y), free(f), free(jac), free(grad), free(params);
}

int main(void)
{
    static const char *const names[NETWORKS] = {
        "2-D same conv, gelu, avg_pool, circular conv, global_avg_pool, dense",
        "2-D valid conv stride 2, tanh, same conv, flatten, dense",
        "1-D circular conv, erf, valid conv stride 2, flatten, dense"};
    for (int net = 0; net < NETWORKS; ++net)
        for (int variant = 0; variant < 4; ++variant) {
            const int standard = variant & 1, bias = variant >> 1;
            ntk_model_spec spec;
            memset(&spec, 0, sizeof spec);
            spec.parameterization = standard ? NTK_PARAM_STANDARD : NTK_PARAM_NTK;
            spec.w_std = standard ? 0.5 : 1.3;
            spec.b_std = bias ? 0.3 : 0.0;
            spec.seed = 41 + (uint64_t)(4 * net + variant);
            ntk_shape input;
            int n = 0;
            if (net == 0) {
                input = (ntk_shape){3, {6, 6, 2}, 72};
                spec.layers[n++] = conv(3, 3, 3, 1, SAME);
                spec.layers[n++] = plain(&ntk_layer_gelu, 0);
                spec.layers[n++] = plain(&ntk_layer_avg_pool, 2);
                spec.layers[n++] = conv(2, 2, 2, 1, CIRCULAR);
                spec.layers[n++] = plain(&ntk_layer_global_avg_pool, 0);
                spec.layers[n++] = plain(&ntk_layer_dense, 2);
            } else if (net == 1) {
                input = (ntk_shape){3, {7, 6, 2}, 84};
                spec.layers[n++] = conv(3, 3, 2, 2, VALID);
                spec.layers[n++] = plain(&ntk_layer_tanh, 0);
                spec.layers[n++] = conv(2, 2, 2, 1, SAME);
                spec.layers[n++] = plain(&ntk_layer_flatten, 0);
                spec.layers[n++] = plain(&ntk_layer_dense, 2);
            } else {
                input = (ntk_shape){2, {9, 3, 0}, 27};
                spec.layers[n++] = conv(4, 3, 3, 1, CIRCULAR);
                spec.layers[n++] = plain(&ntk_layer_erf, 0);
                spec.layers[n++] = conv(3, 2, 2, 2, VALID);
                spec.layers[n++] = plain(&ntk_layer_flatten, 0);
                spec.layers[n++] = plain(&ntk_layer_dense, 3);
            }
            spec.n_layers = n;
            char label[200];
            snprintf(label, sizeof label, "%s, %s, %s", names[net],
                     standard ? "standard" : "ntk", bias ? "bias" : "no bias");
            ntk_model model;
            if (model_create_shaped(&spec, &input, &model) != NTK_OK) {
                CHECK(0, "%s: model_create: %s", label, ntk_error_message());
                continue;
            }
            check_network(label, &model);
            model_destroy(&model);
        }
    printf("conv_gradient: %d checks, %d failed\n", checks, failures);
    return failures != 0;
}
