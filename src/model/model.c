/* Model construction: layer shapes and scales from the job's model spec, and
 * parameters from the counter-based RNG (or a weights file), plus the flat
 * parameter vector view used by Jacobian rows, training and params files.
 *
 * Every parameter is a pure function of (seed, stream, index) with one stream
 * per (layer, weight|bias) and index = the flat element index inside that
 * tensor, so any rank derives the same model without communication. */
#include "model/model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/random.h"
#include "model/weights.h"

/* Stream of layer l's weights (kind 0) or biases (kind 1). */
static uint64_t model_stream(int layer, int is_bias)
{
    return ((uint64_t)layer << 1) | (uint64_t)(is_bias ? 1 : 0);
}

static void model_count_params(ntk_model *model)
{
    int64_t total = 0;
    for (int l = 1; l <= model->n_layers; ++l)
        total += model->width[l] * model->width[l - 1] + (model->has_bias[l] ? model->width[l] : 0);
    model->n_params = total;
}

static void model_set_scales(const ntk_model_spec *spec, ntk_model *model)
{
    for (int l = 1; l <= model->n_layers; ++l) {
        if (spec->parameterization == NTK_PARAM_NTK) {
            model->weight_scale[l] = spec->w_std / sqrt((double)model->width[l - 1]);
            model->bias_scale[l] = spec->b_std;
        } else {
            model->weight_scale[l] = 1.0;
            model->bias_scale[l] = 1.0;
        }
    }
}

/* Draw W_l and b_l from the seed. In the ntk parameterisation the draws are
 * N(0,1) and the scale sits in c_l, s_l; in the standard one the same draws
 * are scaled into the parameters, so both describe the same function at
 * initialisation (a property the model tests rely on). */
static void model_draw_parameters(const ntk_model_spec *spec, ntk_model *model)
{
    for (int l = 1; l <= model->n_layers; ++l) {
        int64_t fan_in = model->width[l - 1];
        int64_t count = model->width[l] * fan_in;
        double weight_std = 1.0, bias_std = 1.0;
        if (spec->parameterization == NTK_PARAM_STANDARD) {
            weight_std = spec->w_std / sqrt((double)fan_in);
            bias_std = spec->b_std;
        }
        for (int64_t index = 0; index < count; ++index)
            model->weight[l][index] =
                weight_std * ntk_random_normal(spec->seed, model_stream(l, 0), (uint64_t)index);
        if (model->has_bias[l])
            for (int64_t index = 0; index < model->width[l]; ++index)
                model->bias[l][index] =
                    bias_std * ntk_random_normal(spec->seed, model_stream(l, 1), (uint64_t)index);
    }
}

ntk_status model_create(const ntk_model_spec *spec, int64_t input_dim, ntk_model *model)
{
    memset(model, 0, sizeof *model);
    if (spec->n_dense < 1 || spec->n_dense > NTK_MAX_DENSE)
        return NTK_RAISE(NTK_ERR_INTERNAL, "model_create: %d dense layers (expected 1..%d)",
                         spec->n_dense, (int)NTK_MAX_DENSE);
    if (input_dim < 1)
        return NTK_RAISE(NTK_ERR_DATA, "inputs have %lld columns: the model needs at least one",
                         (long long)input_dim);
    model->n_layers = spec->n_dense;
    model->width[0] = input_dim;
    for (int l = 1; l <= model->n_layers; ++l) {
        model->width[l] = spec->width[l - 1];
        model->act[l] = l == model->n_layers ? NTK_ACT_IDENTITY : spec->act[l - 1];
        /* Without a weights file, b_std == 0 means the layers have no biases
         * at all (not zero-valued ones): they would add nothing to Theta. */
        model->has_bias[l] = spec->weights_path[0] != '\0' || spec->b_std != 0.0;
    }
    model_set_scales(spec, model);

    ntk_status status = NTK_OK;
    for (int l = 1; l <= model->n_layers; ++l) {
        NTK_TRY_GOTO(status, NTK_CALLOC(model->weight[l], model->width[l] * model->width[l - 1],
                                        "model weights"), fail);
        if (model->has_bias[l])
            NTK_TRY_GOTO(status, NTK_CALLOC(model->bias[l], model->width[l], "model biases"), fail);
    }
    if (spec->weights_path[0] != '\0') {
        NTK_TRY_GOTO(status, model_load_weights(spec->weights_path, model), fail);
        /* The file decides which layers have biases; drop the unused buffers. */
        for (int l = 1; l <= model->n_layers; ++l)
            if (!model->has_bias[l]) {
                free(model->bias[l]);
                model->bias[l] = NULL;
            }
    } else {
        model_draw_parameters(spec, model);
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
        model->weight[l] = NULL;
        model->bias[l] = NULL;
    }
    model->n_layers = 0;
    model->n_params = 0;
}

int64_t model_param_offset(const ntk_model *model, int layer)
{
    int64_t offset = 0;
    for (int l = 1; l < layer && l <= model->n_layers; ++l)
        offset += model->width[l] * model->width[l - 1] + (model->has_bias[l] ? model->width[l] : 0);
    return offset;
}

void model_get_params(const ntk_model *model, double *flat)
{
    for (int l = 1; l <= model->n_layers; ++l) {
        int64_t count = model->width[l] * model->width[l - 1];
        memcpy(flat, model->weight[l], (size_t)count * sizeof *flat);
        flat += count;
        if (model->has_bias[l]) {
            memcpy(flat, model->bias[l], (size_t)model->width[l] * sizeof *flat);
            flat += model->width[l];
        }
    }
}

void model_set_params(ntk_model *model, const double *flat)
{
    for (int l = 1; l <= model->n_layers; ++l) {
        int64_t count = model->width[l] * model->width[l - 1];
        memcpy(model->weight[l], flat, (size_t)count * sizeof *flat);
        flat += count;
        if (model->has_bias[l]) {
            memcpy(model->bias[l], flat, (size_t)model->width[l] * sizeof *flat);
            flat += model->width[l];
        }
    }
}
