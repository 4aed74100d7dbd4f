/* Model parameters from and to safetensors files (see weights.h).
 *
 * Which tensor is which layer: every tensor must be called "<prefix>.weight"
 * or "<prefix>.bias". A prefix's layer number is the last dotted component
 * of the prefix that is all digits ("0", "net.0", "layers.3.linear" -> 0, 0,
 * 3); failing that, the trailing digits of its last component ("fc1",
 * "layer2" -> 1, 2). Prefixes are sorted by that number (only the order
 * matters, so nn.Sequential's 0, 2, 4 map to dense layers 1, 2, 3), and the
 * i-th weight is the i-th layer with parameters. A bias is optional per
 * layer. Shapes are the layer type's torch layout (model/layer.h tensors).
 *
 * Every problem is NTK_ERR_DATA naming the file and the tensor: names that
 * are not weight/bias, two prefixes with the same number, a bias without its
 * weight, more or fewer weights than the job's layers with parameters,
 * shapes other than the layer's (dense: (n_l, n_{l-1}) and (n_l)), dtypes
 * other than F32/F64, non-finite values. */
#include "model/weights.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "format/safetensors.h"

/* The tensors of one prefix. */
typedef struct {
    char prefix[ST_NAME_MAX];
    long long number;
    const st_tensor *weight;
    const st_tensor *bias;
} weights_group;

static int all_digits(const char *begin, const char *end)
{
    if (begin == end)
        return 0;
    for (const char *p = begin; p < end; ++p)
        if (*p < '0' || *p > '9')
            return 0;
    return 1;
}

/* The layer number of a prefix (rules at the top of the file); 0 when it has none. */
static int prefix_number(const char *prefix, long long *number)
{
    const char *end = prefix + strlen(prefix);
    const char *last_begin = NULL, *last_end = NULL;
    for (const char *component_end = end;;) {
        const char *component_begin = component_end;
        while (component_begin > prefix && component_begin[-1] != '.')
            --component_begin;
        if (last_begin == NULL) {
            last_begin = component_begin;
            last_end = component_end;
        }
        if (all_digits(component_begin, component_end) && component_end - component_begin < 18) {
            *number = strtoll(component_begin, NULL, 10);
            return 1;
        }
        if (component_begin == prefix)
            break;
        component_end = component_begin - 1;
    }
    const char *digits = last_end;
    while (digits > last_begin && digits[-1] >= '0' && digits[-1] <= '9')
        --digits;
    if (digits < last_end && last_end - digits < 18) {
        *number = strtoll(digits, NULL, 10);
        return 1;
    }
    return 0;
}

static int compare_groups(const void *a, const void *b)
{
    const weights_group *left = a, *right = b;
    return (left->number > right->number) - (left->number < right->number);
}

static int ends_with(const char *text, const char *suffix, size_t *prefix_length)
{
    size_t length = strlen(text), suffix_length = strlen(suffix);
    if (length <= suffix_length || strcmp(text + length - suffix_length, suffix) != 0)
        return 0;
    *prefix_length = length - suffix_length;
    return 1;
}

/* Sort the file's tensors into per-prefix groups ordered by layer number. */
static ntk_status group_tensors(const st_index *index, weights_group *groups, int *n_groups)
{
    *n_groups = 0;
    for (int t = 0; t < index->count; ++t) {
        const st_tensor *tensor = &index->tensors[t];
        size_t prefix_length = 0;
        int is_bias = 0;
        if (ends_with(tensor->name, ".bias", &prefix_length))
            is_bias = 1;
        else if (!ends_with(tensor->name, ".weight", &prefix_length))
            return NTK_RAISE(NTK_ERR_DATA,
                             "%s: tensor '%s' is not a dense layer's weight or bias (expected "
                             "names like 0.weight, 0.bias, 2.weight, ...)",
                             index->path, tensor->name);
        char prefix[ST_NAME_MAX];
        snprintf(prefix, sizeof prefix, "%.*s", (int)prefix_length, tensor->name);
        long long number = 0;
        if (!prefix_number(prefix, &number))
            return NTK_RAISE(NTK_ERR_DATA,
                             "%s: tensor '%s': no layer number in '%s' (expected a numeric "
                             "component such as 0.weight or net.2.weight)",
                             index->path, tensor->name, prefix);
        int found = -1;
        for (int g = 0; g < *n_groups; ++g) {
            if (strcmp(groups[g].prefix, prefix) == 0) {
                found = g;
                break;
            }
            if (groups[g].number == number)
                return NTK_RAISE(NTK_ERR_DATA,
                                 "%s: tensors '%s.*' and '%s.*' both have layer number %lld: "
                                 "cannot tell their order",
                                 index->path, groups[g].prefix, prefix, number);
        }
        if (found < 0) {
            found = (*n_groups)++;
            memset(&groups[found], 0, sizeof groups[found]);
            snprintf(groups[found].prefix, sizeof groups[found].prefix, "%s", prefix);
            groups[found].number = number;
        }
        if (is_bias)
            groups[found].bias = tensor;
        else
            groups[found].weight = tensor;
    }
    qsort(groups, (size_t)*n_groups, sizeof *groups, compare_groups);
    for (int g = 0; g < *n_groups; ++g)
        if (groups[g].weight == NULL)
            return NTK_RAISE(NTK_ERR_DATA, "%s: tensor '%s' has no matching '%s.weight'",
                             index->path, groups[g].bias->name, groups[g].prefix);
    return NTK_OK;
}

/* "[a, b, ...]" of a shape with `ndim` dimensions, truncated to `capacity`. */
static void shape_text(int ndim, const int64_t *shape, char *text, size_t capacity)
{
    size_t used = (size_t)snprintf(text, capacity, "[");
    for (int i = 0; i < ndim && used < capacity; ++i)
        used += (size_t)snprintf(text + used, capacity - used, "%s%lld", i > 0 ? ", " : "",
                                 (long long)shape[i]);
    if (used < capacity)
        snprintf(text + used, capacity - used, "]");
}

static ntk_status check_shape(const st_index *index, const st_tensor *tensor,
                              const ntk_layer *layer, const ntk_tensor_shape *want,
                              const char *layout)
{
    int ok = tensor->ndim == want->ndim;
    for (int i = 0; ok && i < want->ndim; ++i)
        ok = tensor->shape[i] == want->shape[i];
    if (ok)
        return NTK_OK;
    char have[160], need[160];
    shape_text(tensor->ndim, tensor->shape, have, sizeof have);
    shape_text(want->ndim, want->shape, need, sizeof need);
    return NTK_RAISE(NTK_ERR_DATA, "%s: tensor '%s' has shape %s, but %s layer %d needs %s%s",
                     index->path, tensor->name, have, layer->ops->name, layer->param, need, layout);
}

static ntk_status read_values(const st_index *index, const st_tensor *tensor, double *values)
{
    NTK_TRY(st_read_tensor(index, tensor, values));
    for (int64_t i = 0; i < tensor->elements; ++i)
        if (!isfinite(values[i]))
            return NTK_RAISE(NTK_ERR_DATA, "%s: tensor '%s': element %lld is not finite",
                             index->path, tensor->name, (long long)i);
    return NTK_OK;
}

static ntk_status load_groups(const st_index *index, const weights_group *groups, int n_groups,
                              ntk_model *model)
{
    const int layers = model->n_layers;
    if (n_groups > layers)
        return NTK_RAISE(NTK_ERR_DATA,
                         "%s: tensor '%s' is extra: the model has %d layer%s with weights, the "
                         "file %d weight tensors",
                         index->path, groups[layers].weight->name, layers, layers == 1 ? "" : "s",
                         n_groups);
    if (n_groups < layers) {
        const ntk_tensor_shape *missing = &model->weight_shape[n_groups + 1];
        char need[160];
        shape_text(missing->ndim, missing->shape, need, sizeof need);
        return NTK_RAISE(NTK_ERR_DATA,
                         "%s: missing the weight of %s layer %d (shape %s): the model has %d "
                         "layers with weights, the file %d weight tensors",
                         index->path, model_param_layer(model, n_groups + 1)->ops->name,
                         n_groups + 1, need, layers, n_groups);
    }
    for (int l = 1; l <= layers; ++l) {
        const weights_group *group = &groups[l - 1];
        const ntk_layer *layer = model_param_layer(model, l);
        static const char *const layouts[5] = {"", "", " (out, in)", " (out, in, k)",
                                               " (out, in, kh, kw)"};
        const int ndim = model->weight_shape[l].ndim;
        NTK_TRY(check_shape(index, group->weight, layer, &model->weight_shape[l],
                            ndim >= 0 && ndim <= 4 ? layouts[ndim] : ""));
        if (group->bias != NULL)
            NTK_TRY(check_shape(index, group->bias, layer, &model->bias_shape[l], ""));
    }
    for (int l = 1; l <= layers; ++l) {
        const weights_group *group = &groups[l - 1];
        NTK_TRY(read_values(index, group->weight, model->weight[l]));
        model->has_bias[l] = group->bias != NULL;
        if (group->bias == NULL)
            continue;
        if (model->bias[l] == NULL)
            NTK_TRY(NTK_CALLOC(model->bias[l], model->bias_shape[l].count, "model biases"));
        NTK_TRY(read_values(index, group->bias, model->bias[l]));
        if (model->bias_scale[l] == 0.0)
            ntk_warn("%s: the biases of %s layer %d ('%s') have no effect: their scale s_l is "
                     "0 (model.b_std is 0 in the ntk parameterisation)",
                     index->path, model_param_layer(model, l)->ops->name, l, group->bias->name);
    }
    return NTK_OK;
}

ntk_status model_load_weights(const char *path, ntk_model *model)
{
    st_index index;
    memset(&index, 0, sizeof index);
    NTK_TRY(st_read_index(path, &index));
    weights_group *groups = NULL;
    ntk_status status = NTK_OK;
    if (index.count > 0)
        status = NTK_CALLOC(groups, index.count, "weights index");
    int n_groups = 0;
    if (status == NTK_OK)
        status = group_tensors(&index, groups, &n_groups);
    if (status == NTK_OK)
        status = load_groups(&index, groups, n_groups, model);
    free(groups);
    st_free_index(&index);
    NTK_TRY(status);
    return NTK_OK;
}

ntk_status model_save_weights(const char *path, const ntk_model *model)
{
    st_output_tensor tensors[2 * NTK_MAX_DENSE];
    char names[2 * NTK_MAX_DENSE][32];
    int count = 0;
    for (int l = 1; l <= model->n_layers; ++l) {
        /* nn.Sequential numbers every module, activations included: the
         * layer's position in model.layers. */
        const ntk_layer *layer = model_param_layer(model, l);
        const ntk_tensor_shape *shape = &model->weight_shape[l];
        snprintf(names[count], sizeof names[count], "%d.weight", layer->index);
        tensors[count] = (st_output_tensor){names[count], shape->ndim,
                                            {shape->shape[0], shape->shape[1], shape->shape[2],
                                             shape->shape[3]},
                                            model->weight[l]};
        ++count;
        if (model->has_bias[l]) {
            shape = &model->bias_shape[l];
            snprintf(names[count], sizeof names[count], "%d.bias", layer->index);
            tensors[count] = (st_output_tensor){names[count], 1, {shape->shape[0]}, model->bias[l]};
            ++count;
        }
    }
    NTK_TRY(st_write_f64(path, tensors, count));
    return NTK_OK;
}
