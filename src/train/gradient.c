/* Gradient of the MSE loss for one input block (see gradient.h). Uses the
 * per-layer features the NTK needs anyway, so no separate backward pass:
 * each layer's param_vjp contracts its output cotangents, weighted by the
 * residuals over the k outputs, with its inputs (one DGEMM per layer). */
#include "train/gradient.h"

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

    /* The row weights r_o(x) / (N k); the squared error from r itself. */
    double *weight = NULL;
    NTK_TRY(NTK_CALLOC(weight, count * k, "training residual"));
    double sum = 0.0;
    for (int64_t i = 0; i < count * k; ++i) {
        const double r = features->output[i] - targets[i];
        sum += r * r;
        weight[i] = r / normaliser;
    }
    *squared_error = sum;

    int64_t widest = 1; /* the ops' scratch: count x the layer's output */
    for (int i = 0; i < model->n_stack; ++i)
        if (model->stack[i].param > 0 && model->stack[i].out.size > widest)
            widest = model->stack[i].out.size;
    double *scratch = NULL;
    ntk_status status = NTK_OK;
    NTK_TRY_GOTO(status, NTK_CALLOC(scratch, count * widest, "training cotangents"), done);
    for (int i = 0; i < model->n_stack; ++i) {
        const ntk_layer *layer = &model->stack[i];
        const int l = layer->param;
        if (l == 0)
            continue;
        if (layer->ops->param_vjp == NULL) { /* the job refuses such models (read_training) */
            status = NTK_RAISE(NTK_ERR_INTERNAL, "training: a %s layer has no param_vjp",
                               layer->ops->name);
            goto done;
        }
        NTK_TRY_GOTO(status,
                     layer->ops->param_vjp(layer, model, features->input[l],
                                           features->cotangent[l], count, k, weight, scratch,
                                           gradient + model_param_offset(model, l)),
                     done);
    }
done:
    free(scratch);
    free(weight);
    return status;
}
