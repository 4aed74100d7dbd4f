/* Batched forward and backward passes: the per-input information every NTK
 * method needs (the inputs h_{l-1} and output cotangents delta_l^o of every
 * layer with parameters), and plain outputs. Each layer's ops do the work
 * (model/layer.h); the dense ones are DGEMMs over the whole batch, so a
 * rank's own block of inputs costs a few large GEMMs rather than many small
 * products.
 *
 * Buffers: value[i] is layer i's input; a layer that runs in place (an
 * activation) writes its output over it, so a dense layer's output lands in
 * the next dense layer's input buffer and the activation replaces z by
 * phi(z) there, after keeping phi'(z). Cotangents likewise: cot[i] are those
 * of value[i], an in-place layer's backward pass rewrites them in place. */
#include <stdlib.h>
#include <string.h>

#include "model/branch.h"
#include "model/model.h"
#include "model/single_passes.h"

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
    for (int b = 0; b < features->n_owned; ++b)
        free(features->owned[b]);
    model_single_passes_free(features->single);
    memset(features, 0, sizeof *features);
}

static ntk_status features_alloc(ntk_features *features, int64_t count, const char *what,
                                 double **buffer)
{
    NTK_TRY(NTK_CALLOC(*buffer, count + 1, what));
    features->owned[features->n_owned++] = *buffer;
    return NTK_OK;
}

ntk_status model_features_reserve(const ntk_model *model, int64_t capacity,
                                  ntk_features *features)
{
    memset(features, 0, sizeof *features);
    NTK_TRY(model_check_batch(model, capacity));
    const int n = model->n_stack;
    const int k = model_outputs(model);
    features->k = k;
    features->n_layers = model->n_layers;
    ntk_status status = NTK_OK;
    /* Values, forward: the input, then each layer's output unless in place;
     * the last output is `output`. */
    NTK_TRY_GOTO(status, features_alloc(features, capacity * model->stack[0].in.size,
                                        "layer inputs", &features->value[0]), fail);
    for (int i = 0; i < n; ++i) {
        const ntk_layer *layer = &model->stack[i];
        int64_t saved = layer->ops->saved_doubles(layer);
        if (saved > 0)
            NTK_TRY_GOTO(status, features_alloc(features, capacity * saved, "activation slopes",
                                                &features->saved[i]), fail);
        if (i + 1 == n)
            NTK_TRY_GOTO(status, features_alloc(features, capacity * k, "outputs",
                                                &features->value[n]), fail);
        else if (layer->ops->in_place)
            features->value[i + 1] = features->value[i];
        else
            NTK_TRY_GOTO(status, features_alloc(features, capacity * layer->out.size,
                                                "layer inputs", &features->value[i + 1]), fail);
    }
    features->output = features->value[n];
    /* Cotangents, backward: the outputs' (one-hot rows), then each layer's
     * input's down to layer 1 (the network input needs none). */
    NTK_TRY_GOTO(status, features_alloc(features, capacity * k * k, "cotangents",
                                        &features->cot[n]), fail);
    for (int i = n - 1; i >= 1; --i) {
        const ntk_layer *layer = &model->stack[i];
        if (layer->ops->in_place)
            features->cot[i] = features->cot[i + 1];
        else
            NTK_TRY_GOTO(status, features_alloc(features, capacity * k * layer->in.size,
                                                "cotangents", &features->cot[i]), fail);
    }
    for (int i = 0; i < n; ++i) {
        const int l = model->stack[i].param;
        if (l > 0) {
            features->input[l] = features->value[i];
            features->cotangent[l] = features->cot[i + 1];
        }
    }
    features->capacity = capacity;
    return NTK_OK;

fail:
    model_features_free(features);
    return status;
}

ntk_status model_features_reserve_single(const ntk_model *model, int64_t capacity, int64_t unit,
                                         ntk_features *features)
{
    NTK_TRY(model_features_reserve(model, capacity, features));
    ntk_status status = model_single_passes_create(model, unit, &features->single);
    if (status != NTK_OK)
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
    return model_features_down_to(model, x, count, 1, features);
}

ntk_status model_features_down_to(const ntk_model *model, const double *x, int64_t count,
                                  int lowest, ntk_features *features)
{
    return model_features_batch(model, x, count, 0, lowest, features);
}

ntk_status model_features_batch(const ntk_model *model, const double *x, int64_t count,
                                int64_t index, int lowest, ntk_features *features)
{
    const int n = model->n_stack;
    const int k = model_outputs(model);
    if (count < 0 || count > features->capacity || features->n_layers != model->n_layers ||
        features->k != k)
        return NTK_RAISE(NTK_ERR_INTERNAL, "model: batch of %lld inputs for features buffers of %lld",
                         (long long)count, (long long)features->capacity);
    features->count = count;
    ntk_single_passes *single = features->single;
    if (single != NULL)
        single->first = index;

    memcpy(features->value[0], x, (size_t)(count * model->stack[0].in.size) * sizeof *x);
    for (int i = 0; i < n; ++i) {
        const ntk_layer *layer = &model->stack[i];
        if (layer->ops->branch != NTK_BRANCH_NONE)
            branch_forward(model->stack, i, features->value, count);
        else if (single != NULL && layer->ops->forward_single != NULL)
            layer->ops->forward_single(layer, model, single, features->value[i], count,
                                       features->value[i + 1], features->saved[i]);
        else
            layer->ops->forward(layer, model, features->value[i], count, features->value[i + 1],
                                features->saved[i]);
    }

    /* Backward, batched over all (x, o) rows: the outputs' cotangents are
     * e_o, then each layer maps its output's cotangents to its input's. */
    double *top = features->cot[n];
    memset(top, 0, (size_t)(count * k * k) * sizeof *top);
    for (int64_t xi = 0; xi < count; ++xi)
        for (int o = 0; o < k; ++o)
            top[(xi * k + o) * k + o] = 1.0;
    /* cotangent[lowest] is cot[i + 1] for its stack index i. */
    int stop = 1;
    for (int i = 0; i < n; ++i)
        if (model->stack[i].param == lowest && lowest > 1)
            stop = i + 1;
    for (int i = n - 1; i >= stop; --i) {
        const ntk_layer *layer = &model->stack[i];
        if (layer->ops->branch != NTK_BRANCH_NONE)
            branch_backward(model->stack, i, features->cot, count, k);
        else if (single != NULL && layer->ops->backward_single != NULL)
            layer->ops->backward_single(layer, model, single, features->cot[i + 1], count, k,
                                        features->saved[i], features->cot[i]);
        else
            layer->ops->backward(layer, model, features->cot[i + 1], count, k,
                                 features->saved[i], features->cot[i]);
    }
    return NTK_OK;
}

/* model_forward of a model with blocks: every layer's input kept, as the
 * branch layers read their block's earlier values (model/branch.h). */
static ntk_status forward_with_branches(const ntk_model *model, const double *x, int64_t count,
                                        double *output)
{
    const int n = model->n_stack;
    double *value[NTK_MAX_LAYERS + 1] = {NULL}, *owned[NTK_MAX_LAYERS + 1] = {NULL};
    double *scratch = NULL;
    int n_owned = 0;
    int64_t saved = 1;
    ntk_status status = NTK_OK;
    for (int i = 0; i < n; ++i)
        if (model->stack[i].ops->saved_doubles(&model->stack[i]) > saved)
            saved = model->stack[i].ops->saved_doubles(&model->stack[i]);
    NTK_TRY_GOTO(status, NTK_CALLOC(scratch, count * saved + 1, "forward pass"), done);
    NTK_TRY_GOTO(status, NTK_CALLOC(owned[n_owned], count * model->stack[0].in.size + 1,
                                    "forward pass"), done);
    value[0] = owned[n_owned++];
    memcpy(value[0], x, (size_t)(count * model->stack[0].in.size) * sizeof *x);
    for (int i = 0; i < n; ++i) {
        const ntk_layer *layer = &model->stack[i];
        if (i + 1 == n) {
            value[n] = output;
        } else if (layer->ops->in_place && layer->ops->branch == NTK_BRANCH_NONE) {
            value[i + 1] = value[i];
        } else {
            NTK_TRY_GOTO(status, NTK_CALLOC(owned[n_owned], count * layer->out.size + 1,
                                            "forward pass"), done);
            value[i + 1] = owned[n_owned++];
        }
        if (layer->ops->branch != NTK_BRANCH_NONE)
            branch_forward(model->stack, i, value, count);
        else
            layer->ops->forward(layer, model, value[i], count, value[i + 1], scratch);
    }

done:
    for (int b = 0; b < n_owned; ++b)
        free(owned[b]);
    free(scratch);
    return status;
}

ntk_status model_forward(const ntk_model *model, const double *x, int64_t count,
                         double *output)
{
    NTK_TRY(model_check_batch(model, count));
    if (model_stack_has_branches(model->stack, model->n_stack))
        return forward_with_branches(model, x, count, output);
    int64_t widest = 1, saved = 1;
    for (int i = 0; i + 1 < model->n_stack; ++i) {
        const ntk_layer *layer = &model->stack[i];
        if (layer->out.size > widest)
            widest = layer->out.size;
        if (layer->ops->saved_doubles(layer) > saved)
            saved = layer->ops->saved_doubles(layer);
    }
    double *buffer[2] = {NULL, NULL}, *scratch = NULL;
    ntk_status status = NTK_OK;
    NTK_TRY_GOTO(status, NTK_CALLOC(buffer[0], count * widest + 1, "forward pass"), done);
    NTK_TRY_GOTO(status, NTK_CALLOC(buffer[1], count * widest + 1, "forward pass"), done);
    NTK_TRY_GOTO(status, NTK_CALLOC(scratch, count * saved + 1, "forward pass"), done);

    const double *h = x;
    int next = 1;
    for (int i = 0; i < model->n_stack; ++i) {
        const ntk_layer *layer = &model->stack[i];
        double *out;
        if (i + 1 == model->n_stack)
            out = output;
        else if (layer->ops->in_place && h != x)
            out = (double *)h;
        else {
            out = buffer[next];
            next ^= 1;
        }
        layer->ops->forward(layer, model, h, count, out, scratch);
        h = out;
    }

done:
    free(buffer[0]);
    free(buffer[1]);
    free(scratch);
    return status;
}
