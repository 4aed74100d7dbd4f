/* The training gradient (train/gradient.c) through residual and parallel
 * blocks (model/branch.h): equal to (1 / (N k)) J^T r from the explicit
 * Jacobian rows (model_jacobian_rows, the independent one-input path) to
 * 1e-12, and to central differences of the loss (model_forward, the
 * forward-only pass) in every parameter; the squared error is sum r^2.
 * A residual MLP (identity and dense shortcuts, a parallel sum and concat)
 * and a conv net (a stride-2 conv shortcut, a parallel concat with an
 * identity branch and a nested residual), both parameterisations, with and
 * without biases. Smooth activations (a ReLU kink inside a difference step
 * would fail the check, not the code). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../model/model_test_util.h"
#include "model/branch.h"
#include "train/gradient.h"

extern const ntk_layer_ops ntk_layer_conv, ntk_layer_flatten;

enum { N = 5, NETWORKS = 2 };

static ntk_layer_spec layer(const ntk_layer_ops *ops, int64_t a, int64_t b)
{
    ntk_layer_spec spec = {ops, {a, b}, 0, 0, ""};
    return spec;
}

/* A conv layer: channels, a square kernel, stride, padding (-1: same, else zeros). */
static ntk_layer_spec conv(int64_t channels, int64_t kernel, int64_t stride, int64_t padding)
{
    ntk_layer_spec spec = {&ntk_layer_conv,
                           {channels, kernel, kernel, stride, stride, padding < 0 ? 0 : 3,
                            padding < 0 ? 0 : padding, padding < 0 ? 0 : padding},
                           0, 0, ""};
    return spec;
}

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
    /* The batched pass's f is the forward-only pass's. */
    const double loss = loss_of(model, x, y, f);
    double f_error = 0.0;
    for (int64_t i = 0; i < (int64_t)N * k; ++i)
        f_error = fmax(f_error, fabs(f[i] - features.output[i]));
    CHECK(f_error == 0.0, "%s: model_forward and model_features differ by %.3g", label, f_error);
    model_features_free(&features);

    CHECK(model_jacobian_rows(model, x, N, 0, p, jac) == NTK_OK, "%s: jacobian: %s", label,
          ntk_error_message());
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

/* The networks, lowered as the job reader lowers their blocks. */
static int network(int net, ntk_layer_spec *list, ntk_shape *input)
{
    const ntk_layer_spec fork_residual = layer(&ntk_layer_branch_fork, NTK_BLOCK_RESIDUAL, 2);
    const ntk_layer_spec next = layer(&ntk_layer_branch_next, 0, 0);
    const ntk_layer_spec sum = layer(&ntk_layer_branch_join, NTK_MERGE_SUM, 0);
    const ntk_layer_spec concat = layer(&ntk_layer_branch_join, NTK_MERGE_CONCAT, 0);
    int n = 0;
    if (net == 0) {
        /* dense 4, tanh, residual {dense 4, gelu, dense 4} (identity),
         * residual {dense 3, erf} + {dense 3}, parallel sum of
         * {dense 3}, {tanh, dense 3}; parallel concat of {dense 2}, {}; dense 2 */
        *input = (ntk_shape){1, {3, 0, 0}, 3};
        list[n++] = layer(&ntk_layer_dense, 4, 0);
        list[n++] = layer(&ntk_layer_tanh, 0, 0);
        list[n++] = fork_residual;
        list[n++] = layer(&ntk_layer_dense, 4, 0);
        list[n++] = layer(&ntk_layer_gelu, 0, 0);
        list[n++] = layer(&ntk_layer_dense, 4, 0);
        list[n++] = next;
        list[n++] = sum;
        list[n++] = fork_residual;
        list[n++] = layer(&ntk_layer_dense, 3, 0);
        list[n++] = layer(&ntk_layer_erf, 0, 0);
        list[n++] = next;
        list[n++] = layer(&ntk_layer_dense, 3, 0);
        list[n++] = sum;
        list[n++] = layer(&ntk_layer_branch_fork, NTK_BLOCK_PARALLEL, 2);
        list[n++] = layer(&ntk_layer_dense, 3, 0);
        list[n++] = next;
        list[n++] = layer(&ntk_layer_tanh, 0, 0);
        list[n++] = layer(&ntk_layer_dense, 3, 0);
        list[n++] = sum;
        list[n++] = layer(&ntk_layer_branch_fork, NTK_BLOCK_PARALLEL, 2);
        list[n++] = layer(&ntk_layer_dense, 2, 0);
        list[n++] = next;
        list[n++] = concat;
        list[n++] = layer(&ntk_layer_dense, 2, 0);
    } else {
        /* conv 3 3x3 same, tanh, residual {conv 4 3x3 stride 2 pad 1, erf,
         * conv 4 3x3 same} + {conv 4 1x1 stride 2}, parallel concat of
         * {conv 2 1x1}, {}, {conv 2 3x3 same, gelu, residual {conv 2 3x3
         * same}}; flatten, dense 2 */
        *input = (ntk_shape){3, {6, 5, 2}, 60};
        list[n++] = conv(3, 3, 1, -1);
        list[n++] = layer(&ntk_layer_tanh, 0, 0);
        list[n++] = fork_residual;
        list[n++] = conv(4, 3, 2, 1);
        list[n++] = layer(&ntk_layer_erf, 0, 0);
        list[n++] = conv(4, 3, 1, -1);
        list[n++] = next;
        list[n++] = conv(4, 1, 2, 0);
        list[n++] = sum;
        list[n++] = layer(&ntk_layer_branch_fork, NTK_BLOCK_PARALLEL, 3);
        list[n++] = conv(2, 1, 1, -1);
        list[n++] = next;
        list[n++] = next;
        list[n++] = conv(2, 3, 1, -1);
        list[n++] = layer(&ntk_layer_gelu, 0, 0);
        list[n++] = fork_residual;
        list[n++] = conv(2, 3, 1, -1);
        list[n++] = next;
        list[n++] = sum;
        list[n++] = concat;
        list[n++] = layer(&ntk_layer_flatten, 0, 0);
        list[n++] = layer(&ntk_layer_dense, 2, 0);
    }
    return n;
}

int main(void)
{
    static const char *const names[NETWORKS] = {"residual MLP with parallel sum and concat",
                                                "conv net with a stride-2 shortcut and a concat"};
    for (int net = 0; net < NETWORKS; ++net)
        for (int variant = 0; variant < 4; ++variant) {
            const int standard = variant & 1, bias = variant >> 1;
            ntk_model_spec spec;
            memset(&spec, 0, sizeof spec);
            spec.parameterization = standard ? NTK_PARAM_STANDARD : NTK_PARAM_NTK;
            spec.w_std = standard ? 0.5 : 1.3;
            spec.b_std = bias ? 0.3 : 0.0;
            spec.seed = 61 + (uint64_t)(4 * net + variant);
            ntk_shape input;
            spec.n_layers = network(net, spec.layers, &input);
            char label[200];
            snprintf(label, sizeof label, "%s, %s, %s", names[net], standard ? "standard" : "ntk",
                     bias ? "bias" : "no bias");
            ntk_model model;
            if (model_create_shaped(&spec, &input, &model) != NTK_OK) {
                CHECK(0, "%s: model_create: %s", label, ntk_error_message());
                continue;
            }
            check_network(label, &model);
            model_destroy(&model);
        }
    printf("branches gradient: %d checks, %d failed\n", checks, failures);
    return failures != 0;
}
