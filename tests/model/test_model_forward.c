/* Forward outputs (model_forward and model_features) against a naive
 * per-element loop with activations written out here from their definitions;
 * the ntk and standard parameterisations describe the same function at
 * initialisation; parameters follow the seed contract; sizes and offsets. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "model_test_util.h"

static double naive_phi(ntk_activation act, double z)
{
    if (act == NTK_ACT_IDENTITY)
        return z;
    if (act == NTK_ACT_RELU)
        return z < 0.0 ? 0.0 : z;
    if (act == NTK_ACT_ERF)
        return erf(z);
    if (act == NTK_ACT_TANH)
        return (exp(z) - exp(-z)) / (exp(z) + exp(-z));
    if (act == NTK_ACT_GELU)
        return z * 0.5 * (1.0 + erf(z / sqrt(2.0)));
    fprintf(stderr, "naive_phi: no definition of %s here\n", ntk_activation_name(act));
    exit(1);
}

/* f(x) by the definition z_l = c_l W_l h_{l-1} + s_l b_l, element by element. */
static void naive_forward(const ntk_model *model, const double *x, double *out)
{
    double h[64], z[64];
    for (int64_t j = 0; j < model->width[0]; ++j)
        h[j] = x[j];
    for (int l = 1; l <= model->n_layers; ++l) {
        for (int64_t i = 0; i < model->width[l]; ++i) {
            double sum = 0.0;
            for (int64_t j = 0; j < model->width[l - 1]; ++j)
                sum += model->weight[l][i * model->width[l - 1] + j] * h[j];
            z[i] = model->weight_scale[l] * sum +
                   (model->has_bias[l] ? model->bias_scale[l] * model->bias[l][i] : 0.0);
        }
        for (int64_t i = 0; i < model->width[l]; ++i)
            h[i] = l < model->n_layers ? naive_phi(model->act[l], z[i]) : z[i];
    }
    for (int64_t o = 0; o < model->width[model->n_layers]; ++o)
        out[o] = h[o];
}

int main(void)
{
    enum { COUNT = 9, DIM = 5 };
    double x[COUNT * DIM];
    test_inputs(x, COUNT, DIM, 3);
    const ntk_activation acts[] = {NTK_ACT_IDENTITY, NTK_ACT_RELU, NTK_ACT_ERF, NTK_ACT_TANH,
                                   NTK_ACT_GELU};
    for (int a = 0; a < 5; ++a)
        for (int param = 0; param < 2; ++param) {
            int64_t widths[] = {8, 6, 3};
            ntk_activation layer_acts[] = {acts[a], acts[(a + 2) % 5]};
            ntk_model_spec spec;
            test_spec(&spec, 3, widths, layer_acts, (ntk_parameterization)param, 1.4, 0.5, 21);
            ntk_model model;
            if (model_create(&spec, DIM, &model) != NTK_OK) {
                fprintf(stderr, "FAIL model_create: %s\n", ntk_error_message());
                return 1;
            }
            CHECK(model.n_params == 8 * 5 + 8 + 6 * 8 + 6 + 3 * 6 + 3,
                  "n_params %lld", (long long)model.n_params);
            CHECK(model_param_offset(&model, 2) == 48 && model_param_offset(&model, 3) == 102,
                  "param offsets");
            double fast[COUNT * 3], naive[3];
            model_forward(&model, x, COUNT, fast);
            ntk_features features;
            model_features(&model, x, COUNT, &features);
            double error = 0.0;
            for (int xi = 0; xi < COUNT; ++xi) {
                naive_forward(&model, x + xi * DIM, naive);
                for (int o = 0; o < 3; ++o) {
                    error = fmax(error, fabs(fast[xi * 3 + o] - naive[o]));
                    error = fmax(error, fabs(features.output[xi * 3 + o] - naive[o]));
                }
            }
            CHECK(error < 1e-12, "act %d param %d: forward error %.3g", a, param, error);
            model_features_free(&features);
            model_destroy(&model);
        }

    /* ntk and standard parameterisations: the same function at initialisation. */
    {
        int64_t widths[] = {10, 7, 2};
        ntk_activation layer_acts[] = {NTK_ACT_TANH, NTK_ACT_RELU};
        ntk_model_spec spec_ntk, spec_std;
        test_spec(&spec_ntk, 3, widths, layer_acts, NTK_PARAM_NTK, 1.7, 0.3, 99);
        test_spec(&spec_std, 3, widths, layer_acts, NTK_PARAM_STANDARD, 1.7, 0.3, 99);
        ntk_model a, b;
        model_create(&spec_ntk, DIM, &a);
        model_create(&spec_std, DIM, &b);
        double fa[COUNT * 2], fb[COUNT * 2], error = 0.0;
        model_forward(&a, x, COUNT, fa);
        model_forward(&b, x, COUNT, fb);
        for (int e = 0; e < COUNT * 2; ++e)
            error = fmax(error, fabs(fa[e] - fb[e]));
        CHECK(error < 1e-12, "ntk vs standard forward differ by %.3g", error);
        /* The seed contract: stream 2l for W_l, 2l+1 for b_l, index = flat element. */
        CHECK(a.weight[2][13] == ntk_random_normal(99, 4, 13), "W_2 stream");
        CHECK(a.bias[3][1] == ntk_random_normal(99, 7, 1), "b_3 stream");
        CHECK(fabs(b.weight[1][3] - 1.7 / sqrt(5.0) * ntk_random_normal(99, 2, 3)) < 1e-15,
              "standard W_1 scaling");
        CHECK(fabs(a.weight_scale[2] - 1.7 / sqrt(10.0)) < 1e-15 && a.bias_scale[2] == 0.3 &&
                            b.weight_scale[2] == 1.0 && b.bias_scale[2] == 1.0,
              "scales c_l, s_l");
        model_destroy(&a);
        model_destroy(&b);
    }
    /* b_std = 0: no bias parameters at all. */
    {
        int64_t widths[] = {4, 1};
        ntk_activation layer_acts[] = {NTK_ACT_RELU};
        ntk_model_spec spec;
        test_spec(&spec, 2, widths, layer_acts, NTK_PARAM_NTK, 1.0, 0.0, 1);
        ntk_model m;
        model_create(&spec, DIM, &m);
        CHECK(m.n_params == 4 * 5 + 4 && !m.has_bias[1] && m.bias[1] == NULL,
              "no-bias model has %lld params", (long long)m.n_params);
        model_destroy(&m);
    }
    if (failures) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    printf("ok: forward vs naive loop, parameterisations, seed contract\n");
    return 0;
}
