/* Model construction: the layer list and its shapes from the job's model
 * spec (every size overflow-checked), parameters from the counter-based RNG
 * (or a weights file), and the flat parameter vector view used by Jacobian
 * rows, training and params files.
 *
 * Every parameter is a pure function of (seed, stream, index) with one stream
 * per (layer with parameters l, weight|bias) and index = the flat element
 * index inside that tensor, so any rank derives the same model without
 * communication. */
#include "model/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked_math.h"
#include "core/random.h"
#include "model/branch.h"
#include "model/weights.h"

/* Stream of layer l's weights (kind 0) or biases (kind 1). */
static uint64_t model_stream(int layer, int is_bias)
{
    return ((uint64_t)layer << 1) | (uint64_t)(is_bias ? 1 : 0);
}

void model_spec_layers(const ntk_model_spec *spec, ntk_layer_spec *list, int *count)
{
    if (spec->n_layers > 0) {
        memcpy(list, spec->layers, (size_t)spec->n_layers * sizeof *list);
        *count = spec->n_layers;
        return;
    }
    int n = 0;
    for (int i = 0; i < spec->n_dense && i < NTK_MAX_DENSE; ++i) {
        memset(&list[n], 0, sizeof list[n]);
        list[n].ops = &ntk_layer_dense;
        ntk_layer_default_options(list[n].ops, list[n].option);
        list[n++].option[0] = spec->width[i];
        /* NULL (a zeroed spec) is identity, as the spec's comment promises */
        if (i + 1 < spec->n_dense && spec->act[i] != NULL && spec->act[i] != NTK_ACT_IDENTITY) {
            memset(&list[n], 0, sizeof list[n]);
            list[n].ops = ntk_layer_of_activation(spec->act[i]);
            ntk_layer_default_options(list[n].ops, list[n].option);
            ++n;
        }
    }
    *count = n;
}

/* The key path of layer i as written, through the blocks around it
 * (model/branch.h): "model.layers[2].residual.body[1].conv"; a branch
 * layer's is its block's, "model.layers[2].residual". */
const char *model_layer_key(const ntk_layer_spec *list, int i, char *buffer, size_t size)
{
    typedef struct {
        char block[160]; /* the block's own path ("" at the top) */
        char list[192];  /* the list being read: model.layers, ...body, ...branches[1] */
        int item, branch, residual;
    } frame;
    frame frames[NTK_BRANCH_MAX_DEPTH + 1];
    int depth = 0;
    memset(&frames[0], 0, sizeof frames[0]);
    snprintf(frames[0].list, sizeof frames[0].list, "model.layers");
    for (int j = 0; j <= i; ++j) {
        frame *top = &frames[depth];
        const ntk_branch_role role = list[j].ops->branch;
        if (j == i) {
            if (role != NTK_BRANCH_NONE && role != NTK_BRANCH_FORK && depth > 0)
                snprintf(buffer, size, "%s", top->block);
            else if (role == NTK_BRANCH_FORK)
                snprintf(buffer, size, "%s[%d].%s", top->list, top->item,
                         list[j].option[0] == NTK_BLOCK_RESIDUAL ? "residual" : "parallel");
            else if (list[j].ops->n_options > 0)
                snprintf(buffer, size, "%s[%d].%s", top->list, top->item, list[j].ops->name);
            else
                snprintf(buffer, size, "%s[%d]", top->list, top->item);
            break;
        }
        char block[160];
        if (role == NTK_BRANCH_FORK && depth < NTK_BRANCH_MAX_DEPTH) {
            const int residual = list[j].option[0] == NTK_BLOCK_RESIDUAL;
            snprintf(block, sizeof block, "%s[%d].%s", top->list, top->item,
                     residual ? "residual" : "parallel");
            frame *inner = &frames[++depth];
            inner->residual = residual;
            memcpy(inner->block, block, sizeof block);
            snprintf(inner->list, sizeof inner->list, "%s.%s", block,
                     residual ? "body" : "branches[0]");
            inner->item = inner->branch = 0;
        } else if (role == NTK_BRANCH_NEXT && depth > 0) {
            top->item = 0;
            ++top->branch;
            memcpy(block, top->block, sizeof block);
            /* A path longer than the buffers is cut short (messages only). */
            int written = top->residual
                              ? snprintf(top->list, sizeof top->list, "%s.shortcut", block)
                              : snprintf(top->list, sizeof top->list, "%s.branches[%d]", block,
                                         top->branch);
            (void)written;
        } else if (role == NTK_BRANCH_JOIN && depth > 0) {
            frames[--depth].item++;
        } else {
            top->item++;
        }
    }
    return buffer;
}

/* Shapes and parameter indices of `list` on inputs of shape `input`. */
static int layers_infer(const ntk_layer_spec *list, int count, const ntk_shape *input,
                        ntk_layer *stack, int *bad_layer, char *why, size_t why_size)
{
    ntk_shape shape = *input;
    int param = 0, open = 0;
    for (int i = 0; i < count; ++i) {
        ntk_layer *layer = &stack[i];
        memset(layer, 0, sizeof *layer);
        layer->ops = list[i].ops;
        memcpy(layer->option, list[i].option, sizeof layer->option);
        memcpy(layer->name, list[i].name, sizeof layer->name);
        layer->index = i;
        layer->in = shape;
        layer->fork = -1;
        if (layer->ops->branch != NTK_BRANCH_NONE) {
            /* A block's shape refusals point at the block (its fork). */
            if (branch_infer(stack, i, why, why_size)) {
                *bad_layer = layer->fork >= 0 ? layer->fork : i;
                return 1;
            }
            if (layer->ops->branch == NTK_BRANCH_FORK)
                ++open;
            else if (layer->ops->branch == NTK_BRANCH_JOIN)
                --open;
        } else if (layer->ops->infer(layer->option, &shape, &layer->out, why, why_size)) {
            *bad_layer = i;
            return 1;
        }
        if (ntk_layer_has_parameters(layer->ops)) {
            if (param == NTK_MAX_DENSE) {
                *bad_layer = i;
                snprintf(why, why_size, "too many layers with parameters (at most %d)",
                         (int)NTK_MAX_DENSE);
                return 1;
            }
            layer->param = ++param;
        }
        shape = layer->out;
    }
    if (open != 0) {
        *bad_layer = count - 1;
        snprintf(why, why_size, "a block is not closed");
        return 1;
    }
    return 0;
}

/* The model-wide sizes: parameters (with biases), cotangents k per input of
 * every layer, their bytes, and the structured feature vector. */
static int sizes_fit(const ntk_layer *stack, int count, int *bad_layer, char *why,
                     size_t why_size)
{
    const int64_t k = stack[count - 1].out.size, bytes_max = INT64_MAX / 8;
    int64_t params = 0, vector = 0;
    for (int i = 0; i < count; ++i) {
        const ntk_layer *layer = &stack[i];
        int64_t cotangents = 0, per_input = 0;
        *bad_layer = i;
        if (ntk_mul_overflow_i64(k, layer->out.size, &cotangents) || cotangents > bytes_max ||
            ntk_add_overflow_i64(cotangents, layer->in.size, &per_input) ||
            ntk_add_overflow_i64(vector, per_input, &vector) || vector > bytes_max) {
            snprintf(why, why_size, "%lld outputs x %lld values per input overflows the "
                     "cotangent size", (long long)k, (long long)layer->out.size);
            return 1;
        }
        if (!ntk_layer_has_parameters(layer->ops))
            continue;
        ntk_tensor_shape weight, bias;
        layer->ops->tensors(layer, &weight, &bias);
        if (ntk_add_overflow_i64(params, weight.count, &params) ||
            ntk_add_overflow_i64(params, bias.count, &params) || params > bytes_max) {
            snprintf(why, why_size, "the parameter count reaches more than %lld (2^60): "
                     "its bytes do not fit in 64 bits", (long long)bytes_max);
            return 1;
        }
    }
    if (k > 2147483647) {
        *bad_layer = count - 1;
        snprintf(why, why_size, "%lld outputs: at most 2147483647", (long long)k);
        return 1;
    }
    return 0;
}

int model_check_sizes(const ntk_layer_spec *list, int count, const ntk_shape *input,
                      int *bad_layer, char *why, size_t why_size)
{
    ntk_layer stack[NTK_MAX_LAYERS];
    *bad_layer = -1;
    if (count < 1 || count > NTK_MAX_LAYERS) {
        snprintf(why, why_size, "%d layers (expected 1..%d)", count, (int)NTK_MAX_LAYERS);
        return 1;
    }
    if (layers_infer(list, count, input, stack, bad_layer, why, why_size))
        return 1;
    return sizes_fit(stack, count, bad_layer, why, why_size);
}

/* "FILE:LINE:COL: model.layers[i].dense: why", "--set model.layers[i].dense:
 * why" for a layer an override wrote, "FILE: model.layers: why" for the
 * model as a whole. */
static ntk_status raise_layer(const ntk_layer_spec *list, int bad, const char *file,
                              const char *why)
{
    char key[160] = "model.layers";
    if (bad < 0)
        return NTK_RAISE(NTK_ERR_JOB, "%s: %s: %s", file, key, why);
    model_layer_key(list, bad, key, sizeof key);
    if (list[bad].line > 0)
        return NTK_RAISE(NTK_ERR_JOB, "%s:%d:%d: %s: %s", file, list[bad].line,
                         list[bad].column, key, why);
    return NTK_RAISE(NTK_ERR_JOB, "--set %s: %s", key, why);
}

ntk_status model_spec_check(const ntk_model_spec *spec, const char *file, const ntk_shape *input)
{
    ntk_layer_spec list[NTK_MAX_LAYERS];
    int count = 0, bad = -1;
    char why[256];
    model_spec_layers(spec, list, &count);
    if (model_check_sizes(list, count, input, &bad, why, sizeof why))
        return raise_layer(list, bad, file, why);
    return NTK_OK;
}

ntk_status model_layout_make(const ntk_model_spec *spec, const char *file, const ntk_shape *input,
                             int has_bias, model_layout *layout)
{
    ntk_layer_spec list[NTK_MAX_LAYERS];
    int count = 0, bad = -1;
    char why[256];
    memset(layout, 0, sizeof *layout);
    model_spec_layers(spec, list, &count);
    if (model_check_sizes(list, count, input, &bad, why, sizeof why) ||
        layers_infer(list, count, input, layout->stack, &bad, why, sizeof why))
        return raise_layer(list, bad, file, why);
    layout->n_stack = count;
    layout->k = layout->stack[count - 1].out.size;
    for (int i = 0; i < count; ++i) {
        const ntk_layer *layer = &layout->stack[i];
        if (!ntk_layer_has_parameters(layer->ops))
            continue;
        ntk_tensor_shape weight, bias;
        layer->ops->tensors(layer, &weight, &bias);
        layout->n_params += weight.count + (has_bias ? bias.count : 0); /* checked above */
    }
    return NTK_OK;
}

void model_layout_costs(const model_layout *layout, int full, int quadrature_order,
                        model_costs *costs)
{
    memset(costs, 0, sizeof *costs);
    costs->widest = 1;
    costs->has_analytic = costs->has_structured = 1;
    for (int i = 0; i < layout->n_stack; ++i) {
        const ntk_layer *layer = &layout->stack[i];
        ntk_layer_cost cost;
        memset(&cost, 0, sizeof cost);
        layer->ops->cost(layer, (int)layout->k, full, quadrature_order, &cost);
        costs->forward_flops += cost.forward_flops;
        if (i > 0)
            costs->backward_flops += cost.backward_flops;
        costs->feature_doubles += cost.feature_doubles;
        costs->packed_doubles += cost.packed_doubles;
        costs->tile_flops_per_pair += cost.tile_flops_per_pair;
        costs->analytic_pair_flops += cost.analytic_pair_flops;
        costs->block_flops += cost.block_flops;
        if (cost.widest > costs->widest)
            costs->widest = cost.widest;
        costs->product_flops += cost.product_flops;
        if (cost.product_width > costs->product_width)
            costs->product_width = cost.product_width;
        if (cost.product_scratch_doubles > costs->product_scratch_doubles)
            costs->product_scratch_doubles = cost.product_scratch_doubles;
        if (cost.product_scratch_limit > costs->product_scratch_limit)
            costs->product_scratch_limit = cost.product_scratch_limit;
        costs->has_analytic &= layer->ops->analytic_spatial != NULL ||
                               layer->ops->branch != NTK_BRANCH_NONE;
        costs->has_structured &= !ntk_layer_has_parameters(layer->ops) ||
                                 layer->ops->structured_term != NULL;
    }
    costs->feature_doubles += (double)layout->k; /* the outputs */
}

/* Offsets of every layer's parameters and their total, from the tensor
 * shapes and which layers have a bias (sizes checked when the layers were). */
static void model_count_params(ntk_model *model)
{
    int64_t total = 0;
    for (int l = 1; l <= model->n_layers; ++l) {
        model->param_offset[l] = total;
        total += model->weight_shape[l].count + (model->has_bias[l] ? model->bias_shape[l].count : 0);
    }
    model->param_offset[model->n_layers + 1] = total;
    model->n_params = total;
}

/* c_l, s_l: ntk c = w_std / sqrt(fan_in), s = b_std; standard c = s = 1. */
static void model_set_scales(const ntk_model_spec *spec, const ntk_layer *layer, ntk_model *model)
{
    const int l = layer->param;
    if (layer->ops->affine) { /* gamma, beta as written (model/layer.h) */
        model->weight_scale[l] = 1.0;
        model->bias_scale[l] = 1.0;
    } else if (spec->parameterization == NTK_PARAM_NTK) {
        model->weight_scale[l] = spec->w_std / sqrt((double)layer->ops->fan_in(layer));
        model->bias_scale[l] = spec->b_std;
    } else {
        model->weight_scale[l] = 1.0;
        model->bias_scale[l] = 1.0;
    }
}

/* Draw W_l and b_l from the seed. In the ntk parameterisation the draws are
 * N(0,1) and the scale sits in c_l, s_l; in the standard one the same draws
 * are scaled into the parameters, so both describe the same function at
 * initialisation (a property the model tests rely on). */
static void model_draw_parameters(const ntk_model_spec *spec, const ntk_layer *layer,
                                  ntk_model *model)
{
    const int l = layer->param;
    if (layer->ops->affine) { /* torch's initial gamma and beta */
        for (int64_t index = 0; index < model->weight_shape[l].count; ++index)
            model->weight[l][index] = 1.0;
        if (model->has_bias[l])
            for (int64_t index = 0; index < model->bias_shape[l].count; ++index)
                model->bias[l][index] = 0.0;
        return;
    }
    double weight_std = 1.0, bias_std = 1.0;
    if (spec->parameterization == NTK_PARAM_STANDARD) {
        weight_std = spec->w_std / sqrt((double)layer->ops->fan_in(layer));
        bias_std = spec->b_std;
    }
    for (int64_t index = 0; index < model->weight_shape[l].count; ++index)
        model->weight[l][index] =
            weight_std * ntk_random_normal(spec->seed, model_stream(l, 0), (uint64_t)index);
    if (model->has_bias[l])
        for (int64_t index = 0; index < model->bias_shape[l].count; ++index)
            model->bias[l][index] =
                bias_std * ntk_random_normal(spec->seed, model_stream(l, 1), (uint64_t)index);
}

/* The stack and the per-layer summary (width, act, tensor shapes, scales). */
static ntk_status model_layers(const ntk_model_spec *spec, const ntk_shape *input,
                               ntk_model *model)
{
    ntk_layer_spec list[NTK_MAX_LAYERS];
    int count = 0, bad = -1;
    char why[256];
    model_spec_layers(spec, list, &count);
    if (model_check_sizes(list, count, input, &bad, why, sizeof why) ||
        layers_infer(list, count, input, model->stack, &bad, why, sizeof why))
        return raise_layer(list, bad, spec->where.file, why);
    model->n_stack = count;
    model->width[0] = input->size;
    for (int i = 0; i < count; ++i) {
        const ntk_layer *layer = &model->stack[i];
        const int l = layer->param;
        if (l == 0) {
            /* An activation right after layer l is its act[l]. */
            int before = i > 0 ? model->stack[i - 1].param : 0;
            if (before > 0 && layer->ops->activation != NULL)
                model->act[before] = layer->ops->activation;
            continue;
        }
        model->n_layers = l;
        model->width[l] = layer->out.size;
        model->act[l] = NTK_ACT_IDENTITY;
        layer->ops->tensors(layer, &model->weight_shape[l], &model->bias_shape[l]);
        /* Without a weights file, b_std == 0 means the layers have no biases
         * at all (not zero-valued ones): they would add nothing to Theta. A
         * layer written with bias: false has none either way. */
        model->has_bias[l] = ntk_layer_has_bias_option_on(layer->ops, layer->option) &&
                             (spec->weights_path[0] != '\0' || spec->b_std != 0.0 ||
                              layer->ops->affine);
        model_set_scales(spec, layer, model);
    }
    if (model->n_layers < 1)
        return NTK_RAISE(NTK_ERR_INTERNAL, "model_create: no layer with parameters");
    return NTK_OK;
}

ntk_status model_create(const ntk_model_spec *spec, int64_t input_dim, ntk_model *model)
{
    const ntk_shape input = {1, {input_dim, 0, 0}, input_dim};
    return model_create_shaped(spec, &input, model);
}

ntk_status model_create_shaped(const ntk_model_spec *spec, const ntk_shape *input,
                               ntk_model *model)
{
    memset(model, 0, sizeof *model);
    if (input->size < 1)
        return NTK_RAISE(NTK_ERR_DATA, "inputs have %lld columns: the model needs at least one",
                         (long long)input->size);
    NTK_TRY(model_layers(spec, input, model));

    ntk_status status = NTK_OK;
    for (int l = 1; l <= model->n_layers; ++l) {
        NTK_TRY_GOTO(status, NTK_CALLOC(model->weight[l], model->weight_shape[l].count,
                                        "model weights"), fail);
        if (model->has_bias[l])
            NTK_TRY_GOTO(status, NTK_CALLOC(model->bias[l], model->bias_shape[l].count,
                                            "model biases"), fail);
        const ntk_layer *layer = model_param_layer(model, l);
        if (layer->ops->n_buffers > 0) {
            const int64_t size = layer->ops->buffer_size(layer);
            NTK_TRY_GOTO(status, NTK_CALLOC(model->buffer[l], layer->ops->n_buffers * size,
                                            "model buffers"), fail);
            /* their seeded values; a weights file overwrites them */
            for (int b = 0; b < layer->ops->n_buffers; ++b)
                for (int64_t e = 0; e < size; ++e)
                    model->buffer[l][b * size + e] = layer->ops->buffer_defaults[b];
        }
    }
    if (spec->weights_path[0] != '\0') {
        NTK_TRY_GOTO(status, model_load_weights(spec->weights_path, spec->b_std, model), fail);
        /* The file decides which layers have biases; drop the unused buffers. */
        for (int l = 1; l <= model->n_layers; ++l)
            if (!model->has_bias[l]) {
                free(model->bias[l]);
                model->bias[l] = NULL;
            }
    } else {
        for (int i = 0; i < model->n_stack; ++i)
            if (model->stack[i].param > 0)
                model_draw_parameters(spec, &model->stack[i], model);
    }
    model_count_params(model);
    return NTK_OK;

fail:
    model_destroy(model);
    return status;
}

void model_destroy(ntk_model *model)
{
    for (int l = 0; l <= NTK_MAX_DENSE; ++l) {
        free(model->weight[l]);
        free(model->bias[l]);
        free(model->buffer[l]);
        model->weight[l] = NULL;
        model->bias[l] = NULL;
        model->buffer[l] = NULL;
    }
    model->n_layers = 0;
    model->n_stack = 0;
    model->n_params = 0;
}

const ntk_layer *model_param_layer(const ntk_model *model, int l)
{
    for (int i = 0; i < model->n_stack; ++i)
        if (model->stack[i].param == l)
            return &model->stack[i];
    return NULL;
}

int64_t model_param_offset(const ntk_model *model, int layer)
{
    if (layer < 1)
        return 0;
    return model->param_offset[layer <= model->n_layers ? layer : model->n_layers + 1];
}

void model_get_params(const ntk_model *model, double *flat)
{
    for (int l = 1; l <= model->n_layers; ++l) {
        int64_t count = model->weight_shape[l].count;
        memcpy(flat, model->weight[l], (size_t)count * sizeof *flat);
        flat += count;
        if (model->has_bias[l]) {
            memcpy(flat, model->bias[l], (size_t)model->bias_shape[l].count * sizeof *flat);
            flat += model->bias_shape[l].count;
        }
    }
}

void model_set_params(ntk_model *model, const double *flat)
{
    for (int l = 1; l <= model->n_layers; ++l) {
        int64_t count = model->weight_shape[l].count;
        memcpy(model->weight[l], flat, (size_t)count * sizeof *flat);
        flat += count;
        if (model->has_bias[l]) {
            memcpy(model->bias[l], flat, (size_t)model->bias_shape[l].count * sizeof *flat);
            flat += model->bias_shape[l].count;
        }
    }
}
