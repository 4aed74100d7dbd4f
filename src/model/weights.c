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

static int compare_prefixes(const void *a, const void *b)
{
    return strcmp(((const weights_group *)a)->prefix, ((const weights_group *)b)->prefix);
}

static int ends_with(const char *text, const char *suffix, size_t *prefix_length)
{
    size_t length = strlen(text), suffix_length = strlen(suffix);
    if (length <= suffix_length || strcmp(text + length - suffix_length, suffix) != 0)
        return 0;
    *prefix_length = length - suffix_length;
    return 1;
}

/* One entry per tensor: its prefix, layer number, and itself as weight or bias. */
static ntk_status tensor_entry(const st_index *index, const st_tensor *tensor,
                               weights_group *entry)
{
    memset(entry, 0, sizeof *entry);
    size_t prefix_length = 0;
    int is_bias = 0;
    if (ends_with(tensor->name, ".bias", &prefix_length))
        is_bias = 1;
    else if (!ends_with(tensor->name, ".weight", &prefix_length))
        return NTK_RAISE(NTK_ERR_DATA,
                         "%s: tensor '%s' is not a dense layer's weight or bias (expected "
                         "names like 0.weight, 0.bias, 2.weight, ...)",
                         index->path, tensor->name);
    snprintf(entry->prefix, sizeof entry->prefix, "%.*s", (int)prefix_length, tensor->name);
    if (!prefix_number(entry->prefix, &entry->number))
        return NTK_RAISE(NTK_ERR_DATA,
                         "%s: tensor '%s': no layer number in '%s' (expected a numeric "
                         "component such as 0.weight or net.2.weight)",
                         index->path, tensor->name, entry->prefix);
    if (is_bias)
        entry->bias = tensor;
    else
        entry->weight = tensor;
    return NTK_OK;
}

/* Sort the file's tensors into per-prefix groups ordered by layer number
 * (two sorts, so a file of many tensors is refused or read in n log n). */
static ntk_status group_tensors(const st_index *index, weights_group *groups, int *n_groups)
{
    *n_groups = 0;
    for (int t = 0; t < index->count; ++t)
        NTK_TRY(tensor_entry(index, &index->tensors[t], &groups[t]));
    qsort(groups, (size_t)index->count, sizeof *groups, compare_prefixes);
    for (int t = 0; t < index->count; ++t) {
        weights_group *last = *n_groups > 0 ? &groups[*n_groups - 1] : NULL;
        if (last != NULL && strcmp(last->prefix, groups[t].prefix) == 0) {
            /* The same prefix: its weight and its bias (names are unique). */
            if (groups[t].bias != NULL)
                last->bias = groups[t].bias;
            else
                last->weight = groups[t].weight;
            continue;
        }
        if (*n_groups != t)
            groups[*n_groups] = groups[t];
        ++*n_groups;
    }
    qsort(groups, (size_t)*n_groups, sizeof *groups, compare_groups);
    for (int g = 1; g < *n_groups; ++g)
        if (groups[g].number == groups[g - 1].number)
            return NTK_RAISE(NTK_ERR_DATA,
                             "%s: tensors '%s.*' and '%s.*' both have layer number %lld: "
                             "cannot tell their order",
                             index->path, groups[g - 1].prefix, groups[g].prefix,
                             groups[g].number);
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

/* The layers with parameters as the weights file must match them. */
typedef struct {
    int n_layers;
    const ntk_layer *layer[NTK_MAX_DENSE + 1];
    ntk_tensor_shape weight[NTK_MAX_DENSE + 1], bias[NTK_MAX_DENSE + 1];
} weights_layers;

static void layers_of_stack(const ntk_layer *stack, int n_stack, weights_layers *layers)
{
    memset(layers, 0, sizeof *layers);
    for (int i = 0; i < n_stack; ++i) {
        const int l = stack[i].param;
        if (l < 1 || l > NTK_MAX_DENSE)
            continue;
        layers->layer[l] = &stack[i];
        stack[i].ops->tensors(&stack[i], &layers->weight[l], &layers->bias[l]);
        if (l > layers->n_layers)
            layers->n_layers = l;
    }
}

/* The file's groups against the layers: one weight per layer, of its shape;
 * a bias of its shape where there is one. When the job has biases
 * (model.b_std > 0), a file without any is refused (it would silently make a
 * network without them) and a layer without one is warned about. Sets
 * has_bias[l] to what the file holds. */
static ntk_status check_groups(const st_index *index, const weights_group *groups, int n_groups,
                               const weights_layers *model, double b_std, int warn,
                               int *has_bias)
{
    const int layers = model->n_layers;
    if (n_groups > layers)
        return NTK_RAISE(NTK_ERR_DATA,
                         "%s: tensor '%s' is extra: the model has %d layer%s with weights, the "
                         "file %d weight tensors",
                         index->path, groups[layers].weight->name, layers, layers == 1 ? "" : "s",
                         n_groups);
    if (n_groups < layers) {
        const ntk_tensor_shape *missing = &model->weight[n_groups + 1];
        char need[160];
        shape_text(missing->ndim, missing->shape, need, sizeof need);
        return NTK_RAISE(NTK_ERR_DATA,
                         "%s: missing the weight of %s layer %d (shape %s): the model has %d "
                         "layers with weights, the file %d weight tensors",
                         index->path, model->layer[n_groups + 1]->ops->name, n_groups + 1, need,
                         layers, n_groups);
    }
    for (int l = 1; l <= layers; ++l) {
        const weights_group *group = &groups[l - 1];
        const ntk_layer *layer = model->layer[l];
        static const char *const layouts[5] = {"", "", " (out, in)", " (out, in, k)",
                                               " (out, in, kh, kw)"};
        const int ndim = model->weight[l].ndim;
        NTK_TRY(check_shape(index, group->weight, layer, &model->weight[l],
                            ndim >= 0 && ndim <= 4 ? layouts[ndim] : ""));
        if (group->bias != NULL)
            NTK_TRY(check_shape(index, group->bias, layer, &model->bias[l], ""));
        has_bias[l] = group->bias != NULL;
    }
    if (b_std == 0.0)
        return NTK_OK;
    /* The job has biases (b_std > 0): a file with none is the wrong file or
     * the wrong job; a file with some is a network whose layers differ
     * (torch's bias=False on some), run as it is but said. */
    int with_bias = 0;
    for (int l = 1; l <= layers; ++l)
        with_bias += has_bias[l];
    for (int l = 1; l <= layers; ++l) {
        if (has_bias[l])
            continue;
        char need[160];
        shape_text(model->bias[l].ndim, model->bias[l].shape, need, sizeof need);
        if (with_bias == 0)
            return NTK_RAISE(NTK_ERR_DATA,
                             "%s: missing the bias of %s layer %d ('%s.bias', shape %s): "
                             "model.b_std is %g, so the layers have biases, but the file has "
                             "none (set model.b_std: 0 for a network without biases)",
                             index->path, model->layer[l]->ops->name, l, groups[l - 1].prefix,
                             need, b_std);
        if (warn)
            ntk_warn("%s: %s layer %d has no bias ('%s.bias', shape %s) although model.b_std is %g: "
                     "it runs without one, as the file says",
                     index->path, model->layer[l]->ops->name, l, groups[l - 1].prefix, need,
                     b_std);
    }
    return NTK_OK;
}

static ntk_status read_groups(const st_index *index, const weights_group *groups,
                              ntk_model *model)
{
    for (int l = 1; l <= model->n_layers; ++l) {
        const weights_group *group = &groups[l - 1];
        NTK_TRY(read_values(index, group->weight, model->weight[l]));
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

/* Read the index of `path` and check it against the layers; `groups` is
 * allocated here (the caller frees it). */
static ntk_status index_and_groups(const char *path, const weights_layers *layers, double b_std,
                                   int warn, st_index *index, weights_group **groups,
                                   int *has_bias)
{
    *groups = NULL;
    NTK_TRY(st_read_index(path, index));
    ntk_status status = NTK_OK;
    if (index->count > 0)
        status = NTK_CALLOC(*groups, index->count, "weights index");
    int n_groups = 0;
    if (status == NTK_OK)
        status = group_tensors(index, *groups, &n_groups);
    if (status == NTK_OK)
        status = check_groups(index, *groups, n_groups, layers, b_std, warn, has_bias);
    return status;
}

ntk_status model_load_weights(const char *path, double b_std, ntk_model *model)
{
    st_index index;
    memset(&index, 0, sizeof index);
    weights_layers layers;
    layers_of_stack(model->stack, model->n_stack, &layers);
    weights_group *groups = NULL;
    int has_bias[NTK_MAX_DENSE + 1] = {0};
    ntk_status status = index_and_groups(path, &layers, b_std, 1, &index, &groups, has_bias);
    if (status == NTK_OK) {
        for (int l = 1; l <= model->n_layers; ++l)
            model->has_bias[l] = has_bias[l];
        status = read_groups(&index, groups, model);
    }
    free(groups);
    st_free_index(&index);
    NTK_TRY(status);
    return NTK_OK;
}

ntk_status model_param_count(const ntk_model_spec *spec, const model_layout *layout,
                             int64_t *n_params)
{
    weights_layers layers;
    layers_of_stack(layout->stack, layout->n_stack, &layers);
    int has_bias[NTK_MAX_DENSE + 1] = {0};
    if (spec->weights_path[0] != '\0') {
        st_index index;
        memset(&index, 0, sizeof index);
        weights_group *groups = NULL;
        ntk_status status =
            index_and_groups(spec->weights_path, &layers, spec->b_std, 0, &index, &groups,
                             has_bias);
        free(groups);
        st_free_index(&index);
        NTK_TRY(status);
    } else {
        for (int l = 1; l <= layers.n_layers; ++l)
            has_bias[l] = spec->b_std != 0.0;
    }
    int64_t total = 0;
    for (int l = 1; l <= layers.n_layers; ++l)
        total += layers.weight[l].count + (has_bias[l] ? layers.bias[l].count : 0);
    *n_params = total;
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
