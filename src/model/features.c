/* Batched forward and backward passes: the per-input information every NTK
 * method needs (layer inputs h_{l-1} and cotangents delta_l^o), and plain
 * outputs. All matrix work is DGEMM over the whole batch, so a rank's own
 * block of inputs costs a few large GEMMs rather than many small products. */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

/* z = c h W^T + s b for `count` rows: h is count x n_in, W is n_out x n_in. */
static void layer_preactivation(const ntk_model *model, int layer, const double *h,
                                int64_t count, double *z)
{
    int64_t n_in = model->width[layer - 1], n_out = model->width[layer];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)count, (int)n_out, (int)n_in,
                model->weight_scale[layer], h, (int)n_in, model->weight[layer], (int)n_in, 0.0, z,
                (int)n_out);
    if (model->has_bias[layer]) {
        double s = model->bias_scale[layer];
        const double *b = model->bias[layer];
        for (int64_t x = 0; x < count; ++x)
            for (int64_t j = 0; j < n_out; ++j)
                z[x * n_out + j] += s * b[j];
    }
}

/* slope = phi'(z), then z = phi(z). ReLU and identity, the common cases, as
 * plain loops the compiler vectorises (the same values as model_phi and
 * model_phi_prime); the rest through the per-element functions. */
static void activate(ntk_activation act, double *z, double *slope, int64_t size)
{
    if (act == NTK_ACT_RELU) {
        for (int64_t e = 0; e < size; ++e) {
            slope[e] = z[e] > 0.0 ? 1.0 : 0.0;
            z[e] = z[e] > 0.0 ? z[e] : 0.0;
        }
    } else if (act == NTK_ACT_IDENTITY) {
        for (int64_t e = 0; e < size; ++e)
            slope[e] = 1.0;
    } else {
        for (int64_t e = 0; e < size; ++e) {
            slope[e] = model_phi_prime(act, z[e]);
            z[e] = model_phi(act, z[e]);
        }
    }
}

static ntk_status model_check_batch(const ntk_model *model, int64_t count)
{
    /* BLAS takes int dimensions: a batch must keep count * k rows within int. */
    if (count < 0 || count * model_outputs(model) > 2147483647LL)
        return NTK_RAISE(NTK_ERR_INTERNAL, "model: batch of %lld inputs is too large for BLAS",
                         (long long)count);
    return NTK_OK;
}

void model_features_free(ntk_features *features)
{
    for (int l = 0; l < NTK_MAX_DENSE + 2; ++l) {
        free(features->input[l]);
        free(features->cotangent[l]);
        free(features->slope[l]);
        features->input[l] = NULL;
        features->cotangent[l] = NULL;
        features->slope[l] = NULL;
    }
    free(features->output);
    features->output = NULL;
    features->capacity = 0;
}

ntk_status model_features_reserve(const ntk_model *model, int64_t capacity,
                                  ntk_features *features)
{
    memset(features, 0, sizeof *features);
    NTK_TRY(model_check_batch(model, capacity));
    int n_layers = model->n_layers;
    int k = model_outputs(model);
    features->k = k;
    features->n_layers = n_layers;
    ntk_status status = NTK_OK;
    for (int l = 1; l <= n_layers; ++l) {
        NTK_TRY_GOTO(status, NTK_CALLOC(features->input[l], capacity * model->width[l - 1] + 1,
                                        "layer inputs"), fail);
        NTK_TRY_GOTO(status, NTK_CALLOC(features->cotangent[l], capacity * k * model->width[l] + 1,
                                        "cotangents"), fail);
        if (l < n_layers)
            NTK_TRY_GOTO(status, NTK_CALLOC(features->slope[l], capacity * model->width[l] + 1,
                                            "activation slopes"), fail);
    }
    NTK_TRY_GOTO(status, NTK_CALLOC(features->output, capacity * k + 1, "outputs"), fail);
    features->capacity = capacity;
    return NTK_OK;

fail:
    model_features_free(features);
    return status;
}

ntk_status model_features(const ntk_model *model, const double *x, int64_t count,
                          ntk_features *features)
{
    NTK_TRY(model_features_reserve(model, count, features));
    ntk_status status = model_features_into(model, x, count, features);
    if (status != NTK_OK)
        model_features_free(features);
    return status;
}

ntk_status model_features_into(const ntk_model *model, const double *x, int64_t count,
                               ntk_features *features)
{
    int n_layers = model->n_layers;
    int k = model_outputs(model);
    if (count < 0 || count > features->capacity || features->n_layers != n_layers ||
        features->k != k)
        return NTK_RAISE(NTK_ERR_INTERNAL, "model: batch of %lld inputs for features buffers of %lld",
                         (long long)count, (long long)features->capacity);
    features->count = count;
    double **slope = features->slope;

    /* Forward: z_l goes straight into the next layer's input buffer and is
     * replaced by phi(z_l) there, after phi'(z_l) is taken. */
    memcpy(features->input[1], x, (size_t)(count * model->width[0]) * sizeof *x);
    for (int l = 1; l <= n_layers; ++l) {
        double *z = l < n_layers ? features->input[l + 1] : features->output;
        layer_preactivation(model, l, features->input[l], count, z);
        if (l == n_layers)
            break;
        activate(model->act[l], z, slope[l], count * model->width[l]);
    }

    /* Backward, batched over all (x, o) rows: delta_{L+1}^o = e_o, then
     * delta_l = phi'(z_l) * (c_{l+1} delta_{l+1} W_{l+1}). */
    double *top = features->cotangent[n_layers];
    memset(top, 0, (size_t)(count * k * k) * sizeof *top);
    for (int64_t xi = 0; xi < count; ++xi)
        for (int o = 0; o < k; ++o)
            top[(xi * k + o) * k + o] = 1.0;
    for (int l = n_layers - 1; l >= 1; --l) {
        int64_t n_out = model->width[l + 1], n_here = model->width[l];
        double *delta = features->cotangent[l];
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(count * k), (int)n_here,
                    (int)n_out, model->weight_scale[l + 1], features->cotangent[l + 1], (int)n_out,
                    model->weight[l + 1], (int)n_here, 0.0, delta, (int)n_here);
        for (int64_t xi = 0; xi < count; ++xi) {
            const double *slope_x = slope[l] + xi * n_here;
            for (int o = 0; o < k; ++o) {
                double *row = delta + (xi * k + o) * n_here;
                for (int64_t j = 0; j < n_here; ++j)
                    row[j] *= slope_x[j];
            }
        }
    }
    return NTK_OK;
}

ntk_status model_forward(const ntk_model *model, const double *x, int64_t count,
                         double *output)
{
    NTK_TRY(model_check_batch(model, count));
    int64_t widest = 1;
    for (int l = 1; l < model->n_layers; ++l)
        if (model->width[l] > widest)
            widest = model->width[l];
    double *buffer[2] = {NULL, NULL};
    ntk_status status = NTK_OK;
    NTK_TRY_GOTO(status, NTK_CALLOC(buffer[0], count * widest + 1, "forward pass"), done);
    NTK_TRY_GOTO(status, NTK_CALLOC(buffer[1], count * widest + 1, "forward pass"), done);

    const double *h = x;
    for (int l = 1; l <= model->n_layers; ++l) {
        double *z = l == model->n_layers ? output : buffer[l % 2];
        layer_preactivation(model, l, h, count, z);
        if (l < model->n_layers) {
            int64_t size = count * model->width[l];
            for (int64_t e = 0; e < size; ++e)
                z[e] = model_phi(model->act[l], z[e]);
        }
        h = z;
    }

done:
    free(buffer[0]);
    free(buffer[1]);
    return status;
}
