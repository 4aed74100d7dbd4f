/* Explicit Jacobian rows df_o(x)/dp for a range of parameters.
 *
 * Deliberately a separate computation from model_features: one input at a
 * time, plain loops, its own forward and backward pass. The jacobian kernel
 * method and the tests use it as an independent check of the structured
 * kernel, so it must not share the batched code path.
 *
 *   d f_o / d W_l[i][j] = c_l delta_l^o[i] h_{l-1}[j],   d f_o / d b_l[i] = s_l delta_l^o[i]
 */
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

typedef struct {
    double *h[NTK_MAX_DENSE + 2];     /* h_{l-1} at index l */
    double *slope[NTK_MAX_DENSE + 2]; /* phi'(z_l) */
    double *delta, *delta_next;       /* cotangent buffers, widest layer */
} jacobian_scratch;

static void scratch_free(jacobian_scratch *scratch)
{
    for (int l = 0; l < NTK_MAX_DENSE + 2; ++l) {
        free(scratch->h[l]);
        free(scratch->slope[l]);
    }
    free(scratch->delta);
    free(scratch->delta_next);
}

static ntk_status scratch_create(const ntk_model *model, jacobian_scratch *scratch)
{
    memset(scratch, 0, sizeof *scratch);
    int64_t widest = 1;
    for (int l = 1; l <= model->n_layers + 1; ++l) {
        NTK_TRY(NTK_CALLOC(scratch->h[l], model->width[l - 1], "jacobian scratch"));
        if (l <= model->n_layers)
            NTK_TRY(NTK_CALLOC(scratch->slope[l], model->width[l], "jacobian scratch"));
    }
    for (int l = 0; l <= model->n_layers; ++l)
        if (model->width[l] > widest)
            widest = model->width[l];
    NTK_TRY(NTK_CALLOC(scratch->delta, widest, "jacobian scratch"));
    NTK_TRY(NTK_CALLOC(scratch->delta_next, widest, "jacobian scratch"));
    return NTK_OK;
}

/* Forward pass of one input, keeping every layer input and slope; h[L+2] = f. */
static void single_forward(const ntk_model *model, const double *x, jacobian_scratch *scratch)
{
    memcpy(scratch->h[1], x, (size_t)model->width[0] * sizeof *x);
    for (int l = 1; l <= model->n_layers; ++l) {
        int64_t n_in = model->width[l - 1], n_out = model->width[l];
        const double *w = model->weight[l];
        const double *h = scratch->h[l];
        double *next = scratch->h[l + 1];
        for (int64_t i = 0; i < n_out; ++i) {
            double sum = 0.0;
            for (int64_t j = 0; j < n_in; ++j)
                sum += w[i * n_in + j] * h[j];
            double z = model->weight_scale[l] * sum;
            if (model->has_bias[l])
                z += model->bias_scale[l] * model->bias[l][i];
            scratch->slope[l][i] = model_phi_prime(model->act[l], z);
            next[i] = model_phi(model->act[l], z);
        }
    }
}

ntk_status model_jacobian_rows(const ntk_model *model, const double *x, int64_t count,
                               int64_t first, int64_t length, double *rows)
{
    if (first < 0 || length < 0 || first + length > model->n_params)
        return NTK_RAISE(NTK_ERR_INTERNAL, "jacobian rows: parameter range [%lld, %lld) outside [0, %lld)",
                         (long long)first, (long long)(first + length), (long long)model->n_params);
    int n_layers = model->n_layers;
    int k = model_outputs(model);
    int64_t last = first + length;
    int64_t offset[NTK_MAX_DENSE + 2];
    for (int l = 1; l <= n_layers + 1; ++l)
        offset[l] = model_param_offset(model, l);
    /* Layers below the range need no cotangent: the backward pass stops early. */
    int lowest = n_layers;
    while (lowest > 1 && offset[lowest] > first)
        --lowest;

    jacobian_scratch scratch;
    ntk_status status = scratch_create(model, &scratch);
    if (status != NTK_OK) {
        scratch_free(&scratch);
        return ntk_trace(status, __FILE__, __LINE__, __func__);
    }

    for (int64_t xi = 0; xi < count; ++xi) {
        single_forward(model, x + xi * model->width[0], &scratch);
        for (int o = 0; o < k; ++o) {
            double *row = rows + (xi * k + o) * length;
            double *delta = scratch.delta, *delta_next = scratch.delta_next;
            memset(delta, 0, (size_t)k * sizeof *delta);
            delta[o] = 1.0;
            for (int l = n_layers; l >= lowest; --l) {
                int64_t n_in = model->width[l - 1], n_out = model->width[l];
                double c = model->weight_scale[l];
                const double *h = scratch.h[l];
                /* Write this layer's entries that fall in [first, last). */
                int64_t begin = offset[l] > first ? offset[l] : first;
                int64_t end = offset[l + 1] < last ? offset[l + 1] : last;
                for (int64_t p = begin; p < end; ++p) {
                    int64_t local = p - offset[l];
                    double value;
                    if (local < n_out * n_in)
                        value = c * delta[local / n_in] * h[local % n_in];
                    else
                        value = model->bias_scale[l] * delta[local - n_out * n_in];
                    row[p - first] = value;
                }
                if (l == lowest)
                    break;
                /* delta_{l-1} = phi'(z_{l-1}) * (c_l W_l^T delta_l) */
                const double *w = model->weight[l];
                for (int64_t j = 0; j < n_in; ++j)
                    delta_next[j] = 0.0;
                for (int64_t i = 0; i < n_out; ++i) {
                    double d = c * delta[i];
                    if (d == 0.0)
                        continue;
                    for (int64_t j = 0; j < n_in; ++j)
                        delta_next[j] += d * w[i * n_in + j];
                }
                for (int64_t j = 0; j < n_in; ++j)
                    delta_next[j] *= scratch.slope[l - 1][j];
                double *swap = delta;
                delta = delta_next;
                delta_next = swap;
            }
        }
    }
    scratch_free(&scratch);
    return NTK_OK;
}
