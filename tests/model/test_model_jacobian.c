/* Jacobian rows against central finite differences of the forward pass, for
 * every activation x both parameterisations x with/without bias, k = 1 and 3,
 * and a deeper mixed network. Also: Jacobian rows of a parameter sub-range
 * equal the matching columns of the full rows, and the batched cotangents of
 * model_features rebuild the same Jacobian (dW = c delta h^T, db = s delta). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "model_test_util.h"

enum { COUNT = 3 };

static double max_abs(const double *v, int64_t n)
{
    double m = 0.0;
    for (int64_t i = 0; i < n; ++i)
        if (fabs(v[i]) > m)
            m = fabs(v[i]);
    return m;
}

static void check_model(const char *label, const ntk_model_spec *spec, int64_t dim)
{
    ntk_model model;
    if (model_create(spec, dim, &model) != NTK_OK) {
        CHECK(0, "%s: model_create: %s", label, ntk_error_message());
        return;
    }
    int k = model_outputs(&model);
    int64_t P = model.n_params, rows_n = COUNT * k;
    double x[COUNT * 16];
    test_inputs(x, COUNT, dim, 7);
    double *jac = calloc((size_t)(rows_n * P), sizeof *jac);
    double *part = calloc((size_t)(rows_n * P), sizeof *part);
    double *params = calloc((size_t)P, sizeof *params);
    double *plus = calloc((size_t)rows_n, sizeof *plus), *minus = calloc((size_t)rows_n, sizeof *minus);

    if (model_jacobian_rows(&model, x, COUNT, 0, P, jac) != NTK_OK) {
        CHECK(0, "%s: jacobian rows: %s", label, ntk_error_message());
        return;
    }
    double scale = max_abs(jac, rows_n * P);

    /* Central differences, parameter by parameter. */
    model_get_params(&model, params);
    double worst = 0.0;
    for (int64_t p = 0; p < P; ++p) {
        double saved = params[p], step = 1e-5 * fmax(1.0, fabs(saved));
        params[p] = saved + step;
        model_set_params(&model, params);
        model_forward(&model, x, COUNT, plus);
        params[p] = saved - step;
        model_set_params(&model, params);
        model_forward(&model, x, COUNT, minus);
        params[p] = saved;
        for (int64_t r = 0; r < rows_n; ++r) {
            double fd = (plus[r] - minus[r]) / (2.0 * step);
            double exact = jac[r * P + p];
            double error = fabs(fd - exact) / fmax(fabs(exact), 1e-3 * scale);
            if (error > worst)
                worst = error;
        }
    }
    model_set_params(&model, params);
    CHECK(worst < 1e-6, "%s: finite differences: worst relative error %.3g", label, worst);

    /* Sub-ranges of 7 parameters give the same columns. */
    double range_error = 0.0;
    for (int64_t first = 0; first < P; first += 7) {
        int64_t length = P - first < 7 ? P - first : 7;
        model_jacobian_rows(&model, x, COUNT, first, length, part);
        for (int64_t r = 0; r < rows_n; ++r)
            for (int64_t q = 0; q < length; ++q)
                range_error = fmax(range_error, fabs(part[r * length + q] - jac[r * P + first + q]));
    }
    CHECK(range_error == 0.0, "%s: sub-range rows differ by %.3g", label, range_error);

    /* Batched cotangents rebuild the Jacobian. */
    ntk_features features;
    if (model_features(&model, x, COUNT, &features) != NTK_OK) {
        CHECK(0, "%s: features: %s", label, ntk_error_message());
        return;
    }
    double feature_error = 0.0;
    for (int64_t xi = 0; xi < COUNT; ++xi)
        for (int o = 0; o < k; ++o) {
            const double *row = jac + (xi * k + o) * P;
            for (int l = 1; l <= model.n_layers; ++l) {
                int64_t n_in = model.width[l - 1], n_out = model.width[l];
                const double *delta = features.cotangent[l] + (xi * k + o) * n_out;
                const double *h = features.input[l] + xi * n_in;
                int64_t off = model_param_offset(&model, l);
                for (int64_t i = 0; i < n_out; ++i) {
                    for (int64_t j = 0; j < n_in; ++j) {
                        double v = model.weight_scale[l] * delta[i] * h[j];
                        feature_error = fmax(feature_error, fabs(v - row[off + i * n_in + j]));
                    }
                    if (model.has_bias[l])
                        feature_error = fmax(feature_error,
                                             fabs(model.bias_scale[l] * delta[i] - row[off + n_out * n_in + i]));
                }
            }
        }
    CHECK(feature_error <= 1e-12 * fmax(1.0, scale),
          "%s: features vs jacobian rows: %.3g", label, feature_error);

    model_features_free(&features);
    free(jac);
    free(part);
    free(params);
    free(plus);
    free(minus);
    model_destroy(&model);
}

int main(void)
{
    int cases = 0;
    const ntk_activation acts[] = {NTK_ACT_IDENTITY, NTK_ACT_RELU, NTK_ACT_ERF, NTK_ACT_TANH,
                                   NTK_ACT_GELU};
    const char *names[] = {"identity", "relu", "erf", "tanh", "gelu"};
    for (int a = 0; a < 5; ++a)
        for (int param = 0; param < 2; ++param)
            for (int bias = 0; bias < 2; ++bias)
                for (int kk = 0; kk < 2; ++kk) {
                    int k = kk ? 3 : 1;
                    int64_t widths[] = {6, k};
                    ntk_activation layer_acts[] = {acts[a]};
                    ntk_model_spec spec;
                    test_spec(&spec, 2, widths, layer_acts, (ntk_parameterization)param, 1.3,
                              bias ? 0.4 : 0.0, 11 + (uint64_t)a);
                    char label[96];
                    snprintf(label, sizeof label, "%s/%s/%s/k=%d", names[a],
                             param ? "standard" : "ntk", bias ? "bias" : "nobias", k);
                    check_model(label, &spec, 4);
                    ++cases;
                }
    /* A deeper network mixing activations. */
    for (int param = 0; param < 2; ++param) {
        int64_t widths[] = {7, 5, 6, 4, 3};
        ntk_activation layer_acts[] = {NTK_ACT_TANH, NTK_ACT_GELU, NTK_ACT_RELU, NTK_ACT_ERF};
        ntk_model_spec spec;
        test_spec(&spec, 5, widths, layer_acts, (ntk_parameterization)param, 1.1, 0.2, 5);
        check_model(param ? "deep/standard" : "deep/ntk", &spec, 5);
        ++cases;
    }
    /* relu'(0) = 0 by convention. */
    CHECK(model_phi_prime(NTK_ACT_RELU, 0.0) == 0.0, "relu'(0) must be 0");
    if (failures) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    printf("ok: %d models, finite differences, sub-ranges and features agree\n", cases);
    return 0;
}
