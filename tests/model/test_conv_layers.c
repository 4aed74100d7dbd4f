/* The conv, avg_pool, global_avg_pool and flatten layers against finite
 * differences, for every padding (same, valid, circular), strides 1 and 2,
 * odd and even kernels, 2-D (H, W, C) and 1-D (L, C) inputs, both
 * parameterisations, with and without bias:
 *   - every layer of each network, alone: backward (batched and one-input)
 *     equals the central difference of <v, forward(a)> in each input value,
 *     and the batched forward equals the one-input forward;
 *   - the whole network: Jacobian rows (jacobian_one) equal central
 *     differences of model_forward in each parameter. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "layer_fd_checks.h"

extern const ntk_layer_ops ntk_layer_conv, ntk_layer_avg_pool, ntk_layer_global_avg_pool,
    ntk_layer_flatten;

static ntk_layer_spec conv(int64_t channels, int64_t kh, int64_t kw, int64_t stride, int64_t padding)
{
    ntk_layer_spec layer = {&ntk_layer_conv, {channels, kh, kw, stride, stride, padding, 0, 0}, 0, 0, ""};
    return layer;
}

static ntk_layer_spec plain(const ntk_layer_ops *ops, int64_t a, int64_t b)
{
    ntk_layer_spec layer = {ops, {a, a, b, b, 0, 0, 0, 0}, 0, 0, ""};
    return layer;
}

int main(void)
{
    static const char *const paddings[] = {"same", "valid", "circular"};
    int cases = 0;
    for (int one_d = 0; one_d < 2; ++one_d)
        for (int padding = 0; padding < 3; ++padding)
            for (int stride = 1; stride <= 2; ++stride)
                for (int even = 0; even < 2; ++even)
                    for (int tail = 0; tail < 3; ++tail)
                        for (int param = 0; param < 2; ++param)
                            for (int bias = 0; bias < 2; ++bias) {
                                if (stride == 2 && padding != 1)
                                    continue; /* same/circular: stride 1 only (as torch) */
                                const int64_t kh = even ? 2 : 3, kw = one_d ? kh : (even ? 3 : 2);
                                ntk_model_spec spec;
                                memset(&spec, 0, sizeof spec);
                                spec.parameterization = (ntk_parameterization)param;
                                spec.w_std = 1.3;
                                spec.b_std = bias ? 0.4 : 0.0;
                                spec.seed = 17 + (uint64_t)cases;
                                int n = 0;
                                spec.layers[n++] = conv(3, kh, kw, stride, padding);
                                spec.layers[n++] = plain(&ntk_layer_tanh, 0, 0);
                                spec.layers[n++] = conv(2, 2, one_d ? 2 : 2, 1, 1);
                                if (tail == 0) {
                                    spec.layers[n++] = plain(&ntk_layer_avg_pool, 2, stride == 2 ? 1 : 0);
                                    spec.layers[n++] = plain(&ntk_layer_flatten, 0, 0);
                                } else if (tail == 1) {
                                    spec.layers[n++] = plain(&ntk_layer_global_avg_pool, 0, 0);
                                    spec.layers[n++] = plain(&ntk_layer_erf, 0, 0);
                                } else {
                                    spec.layers[n++] = plain(&ntk_layer_flatten, 0, 0);
                                }
                                ntk_layer_spec dense = {&ntk_layer_dense, {K, 0, 0, 0, 0, 0, 0, 0}, 0, 0, ""};
                                spec.layers[n++] = dense;
                                spec.n_layers = n;
                                ntk_shape input = one_d ? (ntk_shape){2, {7, 2, 0}, 14}
                                                        : (ntk_shape){3, {8, 7, 2}, 112};
                                char label[160];
                                snprintf(label, sizeof label, "%s/%s/stride %d/kernel %lldx%lld/%s/%s/%s",
                                         one_d ? "1-D" : "2-D", paddings[padding], stride,
                                         (long long)kh, (long long)kw,
                                         tail == 0 ? "avg_pool+flatten" : tail == 1 ? "global_avg_pool" : "flatten",
                                         param ? "standard" : "ntk", bias ? "bias" : "nobias");
                                ntk_model model;
                                if (model_create_shaped(&spec, &input, &model) != NTK_OK) {
                                    CHECK(0, "%s: model_create: %s", label, ntk_error_message());
                                    continue;
                                }
                                CHECK(model.has_bias[1] == bias, "%s: bias", label);
                                check_layers(label, &model);
                                check_jacobian(label, &model);
                                model_destroy(&model);
                                ++cases;
                            }
    if (failures) {
        fprintf(stderr, "%d failures in %d cases\n", failures, cases);
        return 1;
    }
    printf("ok: %d conv/pool/flatten networks\n", cases);
    return 0;
}
