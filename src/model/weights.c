/* Model parameters from and to safetensors files (see weights.h).
 *
 * Which tensor is which layer: every tensor is "<prefix>.weight",
 * "<prefix>.bias" (or "<prefix>.num_batches_tracked", which is ignored:
 * BatchNorm's counter is no parameter). A layer written with `name: P` takes
 * the tensors of prefix P. The other layers with parameters take the other
 * prefixes in order: by layer number when every such prefix has one and no
 * two share it (nn.Sequential's 0, 2, 4: the last dotted component of the
 * prefix that is all digits, "net.2" -> 2, else the trailing digits of its
 * last component, "fc1" -> 1), and otherwise in the file's own order (the
 * order of the tensors' data, which is the state_dict's for files written
 * by ntkgram, its tests' and export scripts: the tutorial CNN's conv1, conv2,
 * fc1, ... whose numbers collide). A bias is optional per layer (unless the
 * job has biases and the file has none at all). Shapes are the layer type's
 * torch layout (model/layer.h tensors).
 *
 * Every problem is NTK_ERR_DATA naming the file, the tensor and the layer:
 * names that are not weight/bias, a named layer without its tensors, a bias
 * without its weight, tensors that match no layer, a layer left without its
 * weight, shapes other than the layer's (dense: (n_l, n_{l-1}) and (n_l)),
 * dtypes other than F32/F64, non-finite values. */
#include "model/weights.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "format/safetensors.h"
#include "model/branch.h"

/* The tensors of one prefix. */
typedef struct {
    char prefix[ST_NAME_MAX];
    long long number;
    int has_number;
    int64_t file_order;     /* the lowest data offset of its tensors */
    const st_tensor *weight;
    const st_tensor *bias;
    /* buffers (model/layer.h: "<prefix>.running_mean", ...), any order */
    const st_tensor *buffer[NTK_LAYER_MAX_BUFFERS];
    int n_buffers;
    int taken;              /* by a named layer */
} weights_group;

/* Whether `name` ends in ".<buffer>" for a buffer of some layer type. */
static int is_buffer_name(const char *name, size_t *prefix_length)
{
    for (int t = 0; t < ntk_layer_type_count(); ++t) {
        const ntk_layer_ops *ops = ntk_layer_type(t);
        for (int b = 0; b < ops->n_buffers; ++b) {
            char suffix[64];
            snprintf(suffix, sizeof suffix, ".%s", ops->buffer_names[b]);
            size_t length = strlen(name), suffix_length = strlen(suffix);
            if (length > suffix_length && strcmp(name + length - suffix_length, suffix) == 0) {
                *prefix_length = length - suffix_length;
                return 1;
            }
        }
    }
    return 0;
}

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

static int compare_numbers(const void *a, const void *b)
{
    const weights_group *left = *(weights_group *const *)a, *right = *(weights_group *const *)b;
    return (left->number > right->number) - (left->number < right->number);
}

static int compare_file_order(const void *a, const void *b)
{
    const weights_group *left = *(weights_group *const *)a, *right = *(weights_group *const *)b;
    return (left->file_order > right->file_order) - (left->file_order < right->file_order);
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

/* One entry per tensor: its prefix, layer number, and itself as weight or
 * bias; *ignored for a tensor that is no parameter (num_batches_tracked). */
static ntk_status tensor_entry(const st_index *index, const st_tensor *tensor,
                               weights_group *entry, int *ignored)
{
    memset(entry, 0, sizeof *entry);
    size_t prefix_length = 0;
    int is_bias = 0;
    *ignored = ends_with(tensor->name, ".num_batches_tracked", &prefix_length);
    if (*ignored)
        return NTK_OK;
    int is_buffer = 0;
    if (is_buffer_name(tensor->name, &prefix_length))
        is_buffer = 1;
    else if (ends_with(tensor->name, ".bias", &prefix_length))
        is_bias = 1;
    else if (!ends_with(tensor->name, ".weight", &prefix_length))
        return NTK_RAISE(NTK_ERR_DATA,
                         "%s: tensor '%s' matches no layer: it is not a weight, bias or "
                         "buffer (expected names like 0.weight, 0.bias, conv1.weight, "
                         "bn1.running_mean, ...)",
                         index->path, tensor->name);
    snprintf(entry->prefix, sizeof entry->prefix, "%.*s", (int)prefix_length, tensor->name);
    entry->has_number = prefix_number(entry->prefix, &entry->number);
    entry->file_order = tensor->begin;
    if (is_buffer)
        entry->buffer[entry->n_buffers++] = tensor;
    else if (is_bias)
        entry->bias = tensor;
    else
        entry->weight = tensor;
    return NTK_OK;
}

/* Sort the file's tensors into per-prefix groups (n log n). */
static ntk_status group_tensors(const st_index *index, weights_group *groups, int *n_groups)
{
    *n_groups = 0;
    int n = 0;
    for (int t = 0; t < index->count; ++t) {
        int ignored = 0;
        NTK_TRY(tensor_entry(index, &index->tensors[t], &groups[n], &ignored));
        n += !ignored;
    }
    qsort(groups, (size_t)n, sizeof *groups, compare_prefixes);
    for (int t = 0; t < n; ++t) {
        weights_group *last = *n_groups > 0 ? &groups[*n_groups - 1] : NULL;
        if (last != NULL && strcmp(last->prefix, groups[t].prefix) == 0) {
            /* The same prefix: its weight, its bias and its buffers (names
             * are unique). */
            if (groups[t].n_buffers > 0) {
                if (last->n_buffers == NTK_LAYER_MAX_BUFFERS)
                    return NTK_RAISE(NTK_ERR_DATA, "%s: tensor '%s': more than %d buffers of "
                                     "one layer", index->path, groups[t].buffer[0]->name,
                                     (int)NTK_LAYER_MAX_BUFFERS);
                last->buffer[last->n_buffers++] = groups[t].buffer[0];
            } else if (groups[t].bias != NULL)
                last->bias = groups[t].bias;
            else
                last->weight = groups[t].weight;
            if (groups[t].file_order < last->file_order)
                last->file_order = groups[t].file_order;
            continue;
        }
        if (*n_groups != t)
            groups[*n_groups] = groups[t];
        ++*n_groups;
    }
    for (int g = 0; g < *n_groups; ++g)
        if (groups[g].weight == NULL)
            return NTK_RAISE(NTK_ERR_DATA, "%s: tensor '%s' has no matching '%s.weight'",
                             index->path,
                             groups[g].bias != NULL ? groups[g].bias->name
                                                    : groups[g].buffer[0]->name,
                             groups[g].prefix);
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

/* The tensor of buffer `b` of `layer` in `group`, or NULL. */
static const st_tensor *group_buffer(const weights_group *group, const ntk_layer *layer, int b)
{
    char name[ST_NAME_MAX + 64];
    snprintf(name, sizeof name, "%s.%s", group->prefix, layer->ops->buffer_names[b]);
    for (int g = 0; g < group->n_buffers; ++g)
        if (strcmp(group->buffer[g]->name, name) == 0)
            return group->buffer[g];
    return NULL;
}

/* Every buffer of the layer's type, of its size; no buffer of another type. */
static ntk_status check_buffers(const st_index *index, const weights_group *group,
                                const ntk_layer *layer, const char *where)
{
    int matched = 0;
    for (int b = 0; b < layer->ops->n_buffers; ++b) {
        const st_tensor *tensor = group_buffer(group, layer, b);
        const int64_t size = layer->ops->buffer_size(layer);
        if (tensor == NULL)
            return NTK_RAISE(NTK_ERR_DATA,
                             "%s: no tensor '%s.%s' for %s (%s layer %d): a %s "
                             "layer needs its %s",
                             index->path, group->prefix, layer->ops->buffer_names[b],
                             where, layer->ops->name, layer->param, layer->ops->name,
                             layer->ops->buffer_names[b]);
        const ntk_tensor_shape want = {1, {size, 0, 0, 0}, size};
        NTK_TRY(check_shape(index, tensor, layer, &want, ""));
        ++matched;
    }
    for (int g = 0; g < group->n_buffers && matched < group->n_buffers; ++g) {
        int known = 0;
        for (int b = 0; b < layer->ops->n_buffers; ++b)
            known |= group_buffer(group, layer, b) == group->buffer[g];
        if (!known)
            return NTK_RAISE(NTK_ERR_DATA,
                             "%s: tensor '%s' matches no buffer of %s (%s layer "
                             "%d)", index->path, group->buffer[g]->name, where,
                             layer->ops->name, layer->param);
    }
    return NTK_OK;
}

/* The layers with parameters as the weights file must match them. */
typedef struct {
    int n_layers;
    const ntk_layer *layer[NTK_MAX_DENSE + 1];
    ntk_tensor_shape weight[NTK_MAX_DENSE + 1], bias[NTK_MAX_DENSE + 1];
    int bias_allowed[NTK_MAX_DENSE + 1]; /* 0: written with bias: false */
    /* Its place for messages: "model.layers[3]", or its nested path
     * ("model.layers[2].residual.shortcut[0].conv") in a model with blocks,
     * whose flat index would name no layer the user wrote. */
    char where[NTK_MAX_DENSE + 1][160];
} weights_layers;

static void layers_of_stack(const ntk_layer *stack, int n_stack, weights_layers *layers)
{
    memset(layers, 0, sizeof *layers);
    ntk_layer_spec list[NTK_MAX_LAYERS];
    memset(list, 0, sizeof list);
    for (int i = 0; i < n_stack && i < NTK_MAX_LAYERS; ++i) {
        list[i].ops = stack[i].ops;
        memcpy(list[i].option, stack[i].option, sizeof list[i].option);
    }
    const int nested = model_stack_has_branch_specs(list, n_stack);
    for (int i = 0; i < n_stack; ++i) {
        const int l = stack[i].param;
        if (l < 1 || l > NTK_MAX_DENSE)
            continue;
        if (nested)
            model_layer_key(list, i, layers->where[l], sizeof layers->where[l]);
        else
            snprintf(layers->where[l], sizeof layers->where[l], "model.layers[%d]",
                     stack[i].index);
        layers->layer[l] = &stack[i];
        stack[i].ops->tensors(&stack[i], &layers->weight[l], &layers->bias[l]);
        layers->bias_allowed[l] = ntk_layer_has_bias_option_on(stack[i].ops, stack[i].option);
        if (l > layers->n_layers)
            layers->n_layers = l;
    }
}

/* "(name: P)" of a named layer, "" otherwise, for messages. */
static const char *name_note(const ntk_layer *layer, char *text, size_t size)
{
    if (layer->name[0] == '\0')
        return "";
    snprintf(text, size, ", name: %s", layer->name);
    return text;
}

/* Which group each layer with parameters takes (rules at the top of the
 * file): assigned[l] for l = 1..n_layers. */
static ntk_status assign_groups(const st_index *index, weights_group *groups, int n_groups,
                                const weights_layers *model, const weights_group **assigned)
{
    char note[ST_NAME_MAX + 16];
    int n_unnamed = 0;
    for (int l = 1; l <= model->n_layers; ++l) {
        const ntk_layer *layer = model->layer[l];
        if (layer->name[0] == '\0') {
            ++n_unnamed;
            continue;
        }
        weights_group key;
        snprintf(key.prefix, sizeof key.prefix, "%s", layer->name);
        weights_group *found = bsearch(&key, groups, (size_t)n_groups, sizeof *groups,
                                       compare_prefixes);
        if (found == NULL)
            return NTK_RAISE(NTK_ERR_DATA,
                             "%s: no tensor '%s.weight' for %s (%s layer %d%s)",
                             index->path, layer->name, model->where[l], layer->ops->name, l,
                             name_note(layer, note, sizeof note));
        found->taken = 1;
        assigned[l] = found;
    }
    const weights_group **rest = NULL;
    int n_rest = 0;
    if (n_groups > 0)
        NTK_TRY(NTK_CALLOC(rest, n_groups, "weights order"));
    int by_number = 1;
    for (int g = 0; g < n_groups; ++g)
        if (!groups[g].taken) {
            rest[n_rest++] = &groups[g];
            by_number &= groups[g].has_number;
        }
    if (by_number) {
        qsort(rest, (size_t)n_rest, sizeof *rest, compare_numbers);
        for (int g = 1; g < n_rest; ++g)
            by_number &= rest[g]->number != rest[g - 1]->number;
    }
    if (!by_number) /* numbers missing or colliding: the file's own order */
        qsort(rest, (size_t)n_rest, sizeof *rest, compare_file_order);
    const char *order = by_number ? "by layer number" : "in the file's order";
    ntk_status status = NTK_OK;
    if (n_rest > n_unnamed) {
        status = NTK_RAISE(NTK_ERR_DATA,
                           "%s: tensor '%s' is extra: it matches no layer (the model has %d "
                           "unnamed layer%s with weights, taking the file's other prefixes %s, "
                           "the file %d such weight tensors)",
                           index->path, rest[n_unnamed]->weight->name, n_unnamed,
                           n_unnamed == 1 ? "" : "s", order, n_rest);
    } else {
        int next = 0;
        for (int l = 1; l <= model->n_layers && status == NTK_OK; ++l) {
            if (model->layer[l]->name[0] != '\0')
                continue;
            if (next == n_rest) {
                char need[160];
                shape_text(model->weight[l].ndim, model->weight[l].shape, need, sizeof need);
                status = NTK_RAISE(NTK_ERR_DATA,
                                   "%s: missing the weight of %s layer %d (shape %s, "
                                   "%s): the model has %d unnamed layers with "
                                   "weights, the file %d weight tensors for them",
                                   index->path, model->layer[l]->ops->name, l, need,
                                   model->where[l], n_unnamed, n_rest);
                break;
            }
            assigned[l] = rest[next++];
        }
    }
    free(rest);
    return status;
}

/* The file's groups against the layers: one weight per layer, of its shape;
 * a bias of its shape where there is one. When the job has biases
 * (model.b_std > 0), a file without any is refused (it would silently make a
 * network without them) and a layer without one is warned about. Sets
 * has_bias[l] to what the file holds. */
static ntk_status check_groups(const st_index *index, const weights_group *const *assigned,
                               const weights_layers *model, double b_std, int warn,
                               int *has_bias)
{
    const int layers = model->n_layers;
    for (int l = 1; l <= layers; ++l) {
        const weights_group *group = assigned[l];
        const ntk_layer *layer = model->layer[l];
        static const char *const layouts[5] = {"", "", " (out, in)", " (out, in, k)",
                                               " (out, in, kh, kw)"};
        const int ndim = model->weight[l].ndim;
        NTK_TRY(check_shape(index, group->weight, layer, &model->weight[l],
                            ndim >= 0 && ndim <= 4 ? layouts[ndim] : ""));
        if (group->bias != NULL && !model->bias_allowed[l])
            return NTK_RAISE(NTK_ERR_DATA,
                             "%s: tensor '%s' matches no parameter: %s layer %d "
                             "(%s) is written with bias: false",
                             index->path, group->bias->name, layer->ops->name, l,
                             model->where[l]);
        if (group->bias != NULL)
            NTK_TRY(check_shape(index, group->bias, layer, &model->bias[l], ""));
        has_bias[l] = group->bias != NULL;
        NTK_TRY(check_buffers(index, group, layer, model->where[l]));
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
        if (has_bias[l] || !model->bias_allowed[l])
            continue; /* bias: false layers have none, as the job says */
        char need[160];
        shape_text(model->bias[l].ndim, model->bias[l].shape, need, sizeof need);
        if (with_bias == 0)
            return NTK_RAISE(NTK_ERR_DATA,
                             "%s: missing the bias of %s layer %d ('%s.bias', shape %s): "
                             "model.b_std is %g, so the layers have biases, but the file has "
                             "none (set model.b_std: 0 for a network without biases)",
                             index->path, model->layer[l]->ops->name, l, assigned[l]->prefix,
                             need, b_std);
        if (warn)
            ntk_warn("%s: %s layer %d has no bias ('%s.bias', shape %s) although model.b_std is %g: "
                     "it runs without one, as the file says",
                     index->path, model->layer[l]->ops->name, l, assigned[l]->prefix, need,
                     b_std);
    }
    return NTK_OK;
}

static ntk_status read_groups(const st_index *index, const weights_group *const *assigned,
                              ntk_model *model)
{
    for (int l = 1; l <= model->n_layers; ++l) {
        const weights_group *group = assigned[l];
        NTK_TRY(read_values(index, group->weight, model->weight[l]));
        const ntk_layer *layer = model_param_layer(model, l);
        const int64_t buffer_size = layer->ops->n_buffers > 0 ? layer->ops->buffer_size(layer) : 0;
        for (int b = 0; b < layer->ops->n_buffers; ++b)
            NTK_TRY(read_values(index, group_buffer(group, layer, b),
                                model->buffer[l] + b * buffer_size));
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
                                   const weights_group **assigned, int *has_bias)
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
        status = assign_groups(index, *groups, n_groups, layers, assigned);
    if (status == NTK_OK)
        status = check_groups(index, assigned, layers, b_std, warn, has_bias);
    return status;
}

ntk_status model_load_weights(const char *path, double b_std, ntk_model *model)
{
    st_index index;
    memset(&index, 0, sizeof index);
    weights_layers layers;
    layers_of_stack(model->stack, model->n_stack, &layers);
    weights_group *groups = NULL;
    const weights_group *assigned[NTK_MAX_DENSE + 1] = {NULL};
    int has_bias[NTK_MAX_DENSE + 1] = {0};
    ntk_status status =
        index_and_groups(path, &layers, b_std, 1, &index, &groups, assigned, has_bias);
    if (status == NTK_OK) {
        for (int l = 1; l <= model->n_layers; ++l)
            model->has_bias[l] = has_bias[l];
        status = read_groups(&index, assigned, model);
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
        const weights_group *assigned[NTK_MAX_DENSE + 1] = {NULL};
        ntk_status status =
            index_and_groups(spec->weights_path, &layers, spec->b_std, 0, &index, &groups,
                             assigned, has_bias);
        free(groups);
        st_free_index(&index);
        NTK_TRY(status);
    } else {
        for (int l = 1; l <= layers.n_layers; ++l)
            has_bias[l] = (spec->b_std != 0.0 || layers.layer[l]->ops->affine) &&
                          layers.bias_allowed[l];
    }
    int64_t total = 0;
    for (int l = 1; l <= layers.n_layers; ++l)
        total += layers.weight[l].count + (has_bias[l] ? layers.bias[l].count : 0);
    *n_params = total;
    return NTK_OK;
}

ntk_status model_save_weights(const char *path, const ntk_model *model)
{
    st_output_tensor tensors[(2 + NTK_LAYER_MAX_BUFFERS) * NTK_MAX_DENSE];
    char names[(2 + NTK_LAYER_MAX_BUFFERS) * NTK_MAX_DENSE][NTK_LAYER_NAME_MAX + 32];
    int count = 0;
    for (int l = 1; l <= model->n_layers; ++l) {
        /* nn.Sequential numbers every module, activations included: the
         * layer's position in model.layers. */
        const ntk_layer *layer = model_param_layer(model, l);
        const ntk_tensor_shape *shape = &model->weight_shape[l];
        /* A named layer's tensors carry its name, as torch's state_dict. */
        if (layer->name[0] != '\0')
            snprintf(names[count], sizeof names[count], "%s.weight", layer->name);
        else
            snprintf(names[count], sizeof names[count], "%d.weight", layer->index);
        tensors[count] = (st_output_tensor){names[count], shape->ndim,
                                            {shape->shape[0], shape->shape[1], shape->shape[2],
                                             shape->shape[3]},
                                            model->weight[l]};
        ++count;
        if (model->has_bias[l]) {
            shape = &model->bias_shape[l];
            if (layer->name[0] != '\0')
                snprintf(names[count], sizeof names[count], "%s.bias", layer->name);
            else
                snprintf(names[count], sizeof names[count], "%d.bias", layer->index);
            tensors[count] = (st_output_tensor){names[count], 1, {shape->shape[0]}, model->bias[l]};
            ++count;
        }
        /* buffers, torch's names (running_mean, running_var) */
        for (int b = 0; b < layer->ops->n_buffers; ++b) {
            const int64_t size = layer->ops->buffer_size(layer);
            if (layer->name[0] != '\0')
                snprintf(names[count], sizeof names[count], "%s.%s", layer->name,
                         layer->ops->buffer_names[b]);
            else
                snprintf(names[count], sizeof names[count], "%d.%s", layer->index,
                         layer->ops->buffer_names[b]);
            tensors[count] = (st_output_tensor){names[count], 1, {size},
                                                model->buffer[l] + b * size};
            ++count;
        }
    }
    NTK_TRY(st_write_f64(path, tensors, count));
    return NTK_OK;
}
