/* Explicit Jacobian rows df_o(x)/dp for a range of parameters.
 *
 * Deliberately a separate computation from model_features: one input at a
 * time, plain loops, its own forward and backward pass (each layer's
 * forward_one / backward_one / jacobian_one). The jacobian kernel method and
 * the tests use it as an independent check of the structured kernel, so it
 * must not share the batched code path.
 *
 *   dense: d f_o / d W_l[i][j] = c_l delta_l^o[i] h_{l-1}[j],   d f_o / d b_l[i] = s_l delta_l^o[i]
 */
#include <stdlib.h>
#include <string.h>

#include "model/branch.h"
#include "model/model.h"

typedef struct {
    double *value[NTK_MAX_LAYERS + 1]; /* input of layer i; value[n] = f */
    double *saved[NTK_MAX_LAYERS];
    double *cot[NTK_MAX_LAYERS + 1];   /* one row's cotangent of value[i] (the branch
                                        * layers read those of their block's layers) */
} jacobian_scratch;

static void scratch_free(jacobian_scratch *scratch)
{
    for (int i = 0; i <= NTK_MAX_LAYERS; ++i)
        free(scratch->value[i]);
    for (int i = 0; i < NTK_MAX_LAYERS; ++i)
        free(scratch->saved[i]);
    for (int i = 0; i <= NTK_MAX_LAYERS; ++i)
        free(scratch->cot[i]);
}

static ntk_status scratch_create(const ntk_model *model, jacobian_scratch *scratch)
{
    memset(scratch, 0, sizeof *scratch);
    for (int i = 0; i < model->n_stack; ++i) {
        const ntk_layer *layer = &model->stack[i];
        NTK_TRY(NTK_CALLOC(scratch->value[i], layer->in.size, "jacobian scratch"));
        NTK_TRY(NTK_CALLOC(scratch->cot[i], layer->in.size, "jacobian scratch"));
        NTK_TRY(NTK_CALLOC(scratch->saved[i], layer->ops->saved_doubles(layer) + 1,
                           "jacobian scratch"));
    }
    NTK_TRY(NTK_CALLOC(scratch->value[model->n_stack], model_outputs(model), "jacobian scratch"));
    NTK_TRY(NTK_CALLOC(scratch->cot[model->n_stack], model_outputs(model), "jacobian scratch"));
    return NTK_OK;
}

/* Forward pass of one input, keeping every layer's input and saved state. */
static void single_forward(const ntk_model *model, const double *x, jacobian_scratch *scratch)
{
    memcpy(scratch->value[0], x, (size_t)model->stack[0].in.size * sizeof *x);
    for (int i = 0; i < model->n_stack; ++i) {
        const ntk_layer *layer = &model->stack[i];
        if (layer->ops->branch != NTK_BRANCH_NONE)
            branch_forward(model->stack, i, scratch->value, 1);
        else
            layer->ops->forward_one(layer, model, scratch->value[i], scratch->value[i + 1],
                                    scratch->saved[i]);
    }
}

ntk_status model_jacobian_rows(const ntk_model *model, const double *x, int64_t count,
                               int64_t first, int64_t length, double *rows)
{
    if (first < 0 || length < 0 || first > model->n_params || length > model->n_params - first)
        return NTK_RAISE(NTK_ERR_INTERNAL, "jacobian rows: parameter range [%lld, %lld) outside [0, %lld)",
                         (long long)first, (long long)(first + length), (long long)model->n_params);
    const int k = model_outputs(model);
    const int64_t last = first + length;
    /* Layers below the range need no cotangent: the backward pass stops at
     * the lowest layer whose parameters reach into it. */
    int lowest = model->n_stack - 1;
    while (lowest > 0 && (model->stack[lowest].param == 0 ||
                          model_param_offset(model, model->stack[lowest].param) > first))
        --lowest;

    jacobian_scratch scratch;
    ntk_status status = scratch_create(model, &scratch);
    if (status != NTK_OK) {
        scratch_free(&scratch);
        return NTK_FRAME(status);
    }

    const int64_t dim = model->stack[0].in.size;
    for (int64_t xi = 0; xi < count; ++xi) {
        single_forward(model, x + xi * dim, &scratch);
        for (int o = 0; o < k; ++o) {
            double *row = rows + (xi * k + o) * length;
            double *top = scratch.cot[model->n_stack];
            memset(top, 0, (size_t)k * sizeof *top);
            top[o] = 1.0;
            for (int i = model->n_stack - 1; i >= lowest; --i) {
                const ntk_layer *layer = &model->stack[i];
                const int l = layer->param;
                if (l > 0) {
                    /* Write this layer's entries that fall in [first, last). */
                    const int64_t offset = model_param_offset(model, l);
                    const int64_t next_offset = model_param_offset(model, l + 1);
                    int64_t begin = offset > first ? offset : first;
                    int64_t end = next_offset < last ? next_offset : last;
                    if (begin < end)
                        layer->ops->jacobian_one(layer, model, scratch.value[i],
                                                 scratch.cot[i + 1], begin - offset,
                                                 end - offset, row + (begin - first));
                }
                if (i == lowest)
                    break;
                if (layer->ops->branch != NTK_BRANCH_NONE)
                    branch_backward(model->stack, i, scratch.cot, 1, 1);
                else
                    layer->ops->backward_one(layer, model, scratch.cot[i + 1], scratch.saved[i],
                                             scratch.cot[i]);
            }
        }
    }
    scratch_free(&scratch);
    return NTK_OK;
}
