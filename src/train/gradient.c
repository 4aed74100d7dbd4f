/* Gradient of the MSE loss for one input block (see gradient.h). Uses the
 * per-layer features the NTK needs anyway, so no separate backward pass:
 * the residual-weighted cotangents E_l are one small contraction over the k
 * outputs, and each weight gradient is one DGEMM E_l^T H_{l-1}. */
#include "train/gradient.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

ntk_status training_block_gradient(const ntk_model *model, const ntk_features *features,
                                   const double *targets, double normaliser, double *gradient,
                                   double *squared_error)
{
    const int64_t count = features->count;
    const int k = model_outputs(model);
    memset(gradient, 0, sizeof(double) * (size_t)model->n_params);
    *squared_error = 0.0;
    if (count == 0)
        return NTK_OK;

    double *residual = NULL;
    NTK_TRY(NTK_CALLOC(residual, count * k, "training residual"));
    double sum = 0.0;
    for (int64_t i = 0; i < count * k; ++i) {
        residual[i] = features->output[i] - targets[i];
        sum += residual[i] * residual[i];
    }
    *squared_error = sum;

    int64_t widest = 0;
    for (int l = 1; l <= model->n_layers; ++l)
        if (model->width[l] > widest)
            widest = model->width[l];
    double *weighted = NULL; /* E_l: count x n_l */
    ntk_status status = NTK_OK;
    NTK_TRY_GOTO(status, NTK_CALLOC(weighted, count * widest, "training cotangents"), done);

    for (int l = 1; l <= model->n_layers; ++l) {
        const int64_t n_out = model->width[l], n_in = model->width[l - 1];
        const double *delta = features->cotangent[l];
        for (int64_t x = 0; x < count; ++x) {
            double *row = weighted + x * n_out;
            memset(row, 0, sizeof(double) * (size_t)n_out);
            for (int o = 0; o < k; ++o) {
                const double r = residual[x * k + o];
                const double *d = delta + (x * k + o) * n_out;
                for (int64_t j = 0; j < n_out; ++j)
                    row[j] += r * d[j];
            }
        }
        double *grad_weight = gradient + model_param_offset(model, l);
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)n_out, (int)n_in, (int)count,
                    model->weight_scale[l] / normaliser, weighted, (int)n_out,
                    features->input[l], (int)n_in, 0.0, grad_weight, (int)n_in);
        if (model->has_bias[l]) {
            double *grad_bias = grad_weight + n_out * n_in;
            const double scale = model->bias_scale[l] / normaliser;
            for (int64_t x = 0; x < count; ++x)
                for (int64_t j = 0; j < n_out; ++j)
                    grad_bias[j] += scale * weighted[x * n_out + j];
        }
    }
done:
    free(weighted);
    free(residual);
    return status;
}
