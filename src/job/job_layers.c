/* model.layers: each item read through the layer registry (model/layer.h),
 * so this file knows no layer type. An item is a type's bare name (relu) or
 * a one-key mapping {type: VALUE}: a scalar VALUE sets the type's first
 * option ({dense: 256}), a mapping sets options by key. The order rules:
 * the first and last layers have parameters (f is the last such layer's
 * output) and no two parameter-free bare layers (activations) follow each
 * other. Every size is checked at once (model_check_sizes) on the inputs'
 * dimension when the job says it (synthetic inputs) and on one otherwise;
 * model_create and plan repeat the check with the data's dimension. */
#include <stdio.h>
#include <string.h>

#include "job/job_read.h"
#include "job/job_sections.h"
#include "model/branch.h"
#include "model/layer.h"

/* "dense" or "dense or conv": the types with parameters, for messages. */
static void parameter_types(char *text, size_t size)
{
    text[0] = '\0';
    for (int t = 0; t < ntk_layer_type_count(); ++t) {
        const ntk_layer_ops *ops = ntk_layer_type(t);
        if (!ntk_layer_has_parameters(ops))
            continue;
        size_t used = strlen(text);
        snprintf(text + used, size - used, "%s%s", used ? " or " : "", ops->name);
    }
}

/* The layer types written as mappings (those with options), or those
 * written as bare names; an activation with options is both. */
static int type_names(int bare, const char **names, int capacity)
{
    int n = 0;
    for (int t = 0; t < ntk_layer_type_count() && n < capacity - 1; ++t)
        if (bare ? ntk_layer_type(t)->bare : ntk_layer_type(t)->n_options > 0)
            names[n++] = ntk_layer_type(t)->name;
    names[n] = NULL;
    return n;
}

/* A REAL option: a finite number in its bounds, kept as its bits. */
static ntk_status read_real(const job_context *context, const job_node *node, const char *path,
                            const ntk_layer_option *option, int64_t *slot)
{
    char description[96];
    double value = 0.0;
    if (node->kind != JOB_NODE_SCALAR || job_node_is_null(node) ||
        job_text_number_out_of_range(node->text) != NULL ||
        !job_text_to_number(node->text, &value) || !(value >= option->real_minimum) ||
        !(value <= option->real_maximum))
        return job_fail(context, node, path, "%s must be %s, got %s", option->key,
                        option->requirement,
                        job_node_describe(node, description, sizeof description));
    *slot = ntk_option_from_real(value);
    return NTK_OK;
}

/* One option's value into its slots (model/layer.h, ntk_layer_option). */
static ntk_status read_option(const job_context *context, const job_node *node, const char *path,
                              const ntk_layer_option *option, ntk_layer_spec *layer)
{
    int64_t *slot = &layer->option[option->slot];
    if (option->kind == NTK_OPTION_REAL)
        return read_real(context, node, path, option, slot);
    if (option->kind == NTK_OPTION_BOOL) {
        int value = 0;
        NTK_TRY(job_read_bool(context, node, path, &value));
        *slot = (value != 0) != (option->default_value != 0); /* 0: the default */
        return NTK_OK;
    }
    if (option->kind == NTK_OPTION_CHOICE_OR_PAIR) {
        /* A number or a list is the pair, in the slots after the choice's. */
        double number = 0.0;
        const int n = ntk_option_choice_count(option);
        if (node->kind == JOB_NODE_SEQUENCE ||
            (node->kind == JOB_NODE_SCALAR && !job_node_is_null(node) &&
             job_text_to_number(node->text, &number))) {
            ntk_layer_option pair = *option;
            pair.kind = NTK_OPTION_PAIR;
            pair.slot = option->slot + 1;
            *slot = n;
            return read_option(context, node, path, &pair, layer);
        }
        int choice = 0;
        NTK_TRY(job_read_choice(context, node, path, option->key, option->choices, n, &choice));
        *slot = choice;
        return NTK_OK;
    }
    if (option->kind == NTK_OPTION_CHOICE) {
        int n = 0, choice = 0;
        while (option->choices[n] != NULL)
            ++n;
        NTK_TRY(job_read_choice(context, node, path, option->key, option->choices, n, &choice));
        *slot = choice;
        return NTK_OK;
    }
    if (option->kind == NTK_OPTION_PAIR && node->kind == JOB_NODE_SEQUENCE) {
        char description[96];
        if (node->count != 2)
            return job_fail(context, node, path, "%s must be %s or a list of two, got %s",
                            option->key, option->requirement,
                            job_node_describe(node, description, sizeof description));
        for (int i = 0; i < 2; ++i) {
            char item_path[JOB_PATH_TEXT_MAX];
            job_path_index(item_path, sizeof item_path, path, i);
            NTK_TRY(job_read_int(context, node->items[i], item_path, option->key,
                                 option->requirement, option->minimum, option->maximum, &slot[i]));
        }
        return NTK_OK;
    }
    NTK_TRY(job_read_int(context, node, path, option->key, option->requirement, option->minimum,
                         option->maximum, slot));
    if (option->kind == NTK_OPTION_PAIR)
        slot[1] = slot[0];
    return NTK_OK;
}

static ntk_status read_options(const job_context *context, const job_node *value, const char *path,
                               const ntk_layer_ops *ops, ntk_layer_spec *layer)
{
    ntk_layer_default_options(ops, layer->option);
    if (value->kind != JOB_NODE_MAPPING && !job_node_is_null(value)) {
        /* The scalar form sets the first option only: every other required
         * option is missing (a conv's kernel left at 0 divides by zero later). */
        NTK_TRY(read_option(context, value, path, &ops->options[0], layer));
        for (int o = 1; o < ops->n_options; ++o)
            if (ops->options[o].required)
                return job_fail(context, value, path,
                                "missing required key '%s' (%s): {%s: VALUE} sets only '%s'; "
                                "write {%s: {%s: ..., %s: ...}}",
                                ops->options[o].key, ops->options[o].requirement, ops->name,
                                ops->options[0].key, ops->name, ops->options[0].key,
                                ops->options[o].key);
        return NTK_OK;
    }
    const char *keys[NTK_LAYER_MAX_OPTIONS + 2];
    for (int o = 0; o < ops->n_options; ++o)
        keys[o] = ops->options[o].key;
    keys[ops->n_options] = "name"; /* every type written as a mapping */
    keys[ops->n_options + 1] = NULL;
    NTK_TRY(job_check_mapping(context, value, path, keys));
    const job_node *name = job_node_find(value, "name", NULL);
    if (name != NULL) {
        char name_path[JOB_PATH_TEXT_MAX];
        job_path_key(name_path, sizeof name_path, path, "name");
        NTK_TRY(job_read_string(context, name, name_path, layer->name, (int)sizeof layer->name));
    }
    for (int o = 0; o < ops->n_options; ++o) {
        const ntk_layer_option *option = &ops->options[o];
        const job_node *node = job_node_find(value, option->key, NULL);
        if (node == NULL && option->required)
            return job_fail(context, value, path, "missing required key '%s' (%s)", option->key,
                            option->requirement);
        if (node == NULL)
            continue;
        char option_path[JOB_PATH_TEXT_MAX];
        job_path_key(option_path, sizeof option_path, path, option->key);
        NTK_TRY(read_option(context, node, option_path, option, layer));
    }
    return NTK_OK;
}

static ntk_status read_mapping_layer(const job_context *context, const job_node *item,
                                     const char *path, ntk_layer_spec *layer)
{
    const char *names[64];
    type_names(0, names, 64);
    NTK_TRY(job_check_mapping(context, item, path, names));
    if (item->kind != JOB_NODE_MAPPING || item->count != 1)
        return job_fail(context, item, path,
                        "a layer mapping has exactly one key, its type (e.g. {dense: WIDTH}), got "
                        "%d keys", item->kind == JOB_NODE_MAPPING ? item->count : 0);
    const ntk_layer_ops *ops = ntk_layer_find(item->keys[0]->text);
    char type_path[JOB_PATH_TEXT_MAX];
    job_path_key(type_path, sizeof type_path, path, ops->name);
    layer->ops = ops;
    return read_options(context, item->items[0], type_path, ops, layer);
}

static ntk_status read_bare_layer(const job_context *context, const job_node *item,
                                  const char *path, ntk_layer_spec *layer)
{
    const char *names[64];
    char description[96];
    int n = type_names(1, names, 64);
    if (item->kind != JOB_NODE_SCALAR || job_node_is_null(item)) {
        char list[256] = "";
        for (int i = 0; i < n; ++i) {
            size_t used = strlen(list);
            snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
        }
        return job_fail(context, item, path,
                        "a layer is {dense: WIDTH}, {conv: {...}}, {avg_pool: K} or a name (%s), got %s", list,
                        job_node_describe(item, description, sizeof description));
    }
    int choice = 0;
    NTK_TRY(job_read_choice(context, item, path, "layer name", names, n, &choice));
    layer->ops = ntk_layer_find(names[choice]);
    ntk_layer_default_options(layer->ops, layer->option); /* leaky_relu: its default slope */
    return NTK_OK;
}

/* The dense summary of ntk_model_spec (job.h). */
static void summarise(const job_context *context, const job_node *const *nodes,
                      ntk_model_spec *model)
{
    model->n_dense = 0;
    for (int i = 0; i < model->n_layers; ++i) {
        const ntk_layer_spec *layer = &model->layers[i];
        if (layer->ops == &ntk_layer_dense) {
            job_node_location(context, nodes[i], &model->layer_where[model->n_dense]);
            model->width[model->n_dense] = layer->option[0];
            model->act[model->n_dense++] = NTK_ACT_IDENTITY; /* until an activation follows */
        } else if (model->n_dense > 0 && layer->ops->activation != NULL) {
            model->act[model->n_dense - 1] = layer->ops->activation;
        }
    }
}

/* The reading of model.layers into the flat list: blocks are lowered into
 * their branch layers (model/branch.h), `nodes` keeps the item each entry
 * comes from (a block's for its branch layers) for messages. */
typedef struct {
    ntk_model_spec *model;
    const job_node *nodes[NTK_MAX_LAYERS];
    int n_parameters;
    int previous_is_activation;
    char with_parameters[128];
} layers_reader;

/* A new entry of the list for `item`. */
static ntk_status next_entry(const job_context *context, layers_reader *reader,
                             const job_node *item, const char *path, ntk_layer_spec **entry)
{
    ntk_model_spec *model = reader->model;
    if (model->n_layers == NTK_MAX_LAYERS)
        return job_fail(context, item, path,
                        "too many layers (at most %d, a block counting one more than its "
                        "branches)", (int)NTK_MAX_LAYERS);
    *entry = &model->layers[model->n_layers];
    memset(*entry, 0, sizeof **entry);
    (*entry)->line = item->origin == NULL ? item->line : 0;
    (*entry)->column = item->origin == NULL ? item->column : 0;
    reader->nodes[model->n_layers++] = item;
    return NTK_OK;
}

static ntk_status read_list(const job_context *context, const job_node *list, const char *path,
                            int depth, layers_reader *reader);

/* A branch layer of the block at `item`. */
static ntk_status branch_entry(const job_context *context, layers_reader *reader,
                               const job_node *item, const char *path,
                               const ntk_layer_ops *ops, int64_t option0, int64_t option1)
{
    ntk_layer_spec *entry = NULL;
    NTK_TRY(next_entry(context, reader, item, path, &entry));
    entry->ops = ops;
    entry->option[0] = option0;
    entry->option[1] = option1;
    return NTK_OK;
}

/* One branch of a block: its layers, starting from the block's input. */
static ntk_status read_branch(const job_context *context, const job_node *list, const char *path,
                              int depth, int activation_before, layers_reader *reader)
{
    reader->previous_is_activation = activation_before;
    if (job_node_is_null(list) || (list->kind == JOB_NODE_SEQUENCE && list->count == 0))
        return NTK_OK; /* the identity */
    if (list->kind != JOB_NODE_SEQUENCE) {
        char description[96];
        return job_fail(context, list, path, "must be a list of layers, got %s",
                        job_node_describe(list, description, sizeof description));
    }
    return read_list(context, list, path, depth + 1, reader);
}

/* {residual: {body: [...], shortcut: [...]}} and
 * {parallel: {branches: [[...], ...], merge: sum | concat}}. */
static ntk_status read_block(const job_context *context, const job_node *item, const char *path,
                             int depth, layers_reader *reader)
{
    const int residual = strcmp(item->keys[0]->text, "residual") == 0;
    const job_node *value = item->items[0];
    char block_path[JOB_PATH_TEXT_MAX], branch_path[JOB_PATH_TEXT_MAX];
    job_path_key(block_path, sizeof block_path, path, item->keys[0]->text);
    if (depth >= NTK_BRANCH_MAX_DEPTH)
        return job_fail(context, item, block_path, "blocks nest at most %d deep",
                        (int)NTK_BRANCH_MAX_DEPTH);
    if (reader->n_parameters == 0)
        return job_fail(context, item, block_path, "the first layer must be %s ({dense: "
                        "WIDTH}), got a %s block", reader->with_parameters,
                        item->keys[0]->text);
    static const char *const residual_keys[] = {"body", "shortcut", NULL};
    static const char *const parallel_keys[] = {"branches", "merge", NULL};
    static const char *const merges[] = {"sum", "concat", NULL};
    NTK_TRY(job_check_mapping(context, value, block_path,
                              residual ? residual_keys : parallel_keys));
    const int activation_before = reader->previous_is_activation;
    if (residual) {
        const job_node *body = job_node_find(value, "body", NULL);
        const job_node *shortcut = job_node_find(value, "shortcut", NULL);
        job_path_key(branch_path, sizeof branch_path, block_path, "body");
        if (body == NULL)
            return job_fail(context, value, block_path,
                            "missing required key 'body' (the list of layers of body(x))");
        if (body->kind != JOB_NODE_SEQUENCE || body->count == 0)
            NTK_TRY(job_check_list(context, body, branch_path,
                                   " of layers (an empty body would make the block 2 x)"));
        NTK_TRY(branch_entry(context, reader, item, block_path, &ntk_layer_branch_fork,
                             NTK_BLOCK_RESIDUAL, 2));
        NTK_TRY(read_branch(context, body, branch_path, depth, activation_before, reader));
        NTK_TRY(branch_entry(context, reader, item, block_path, &ntk_layer_branch_next, 0, 0));
        if (shortcut != NULL) {
            job_path_key(branch_path, sizeof branch_path, block_path, "shortcut");
            NTK_TRY(read_branch(context, shortcut, branch_path, depth, activation_before,
                                reader));
        }
        NTK_TRY(branch_entry(context, reader, item, block_path, &ntk_layer_branch_join,
                             NTK_MERGE_SUM, 0));
    } else {
        const job_node *branches = job_node_find(value, "branches", NULL);
        const job_node *merge = job_node_find(value, "merge", NULL);
        int merge_kind = 0;
        if (branches == NULL || merge == NULL)
            return job_fail(context, value, block_path, "missing required key '%s'",
                            branches == NULL ? "branches (a list of lists of layers)"
                                             : "merge (sum or concat)");
        char merge_path[JOB_PATH_TEXT_MAX];
        job_path_key(merge_path, sizeof merge_path, block_path, "merge");
        NTK_TRY(job_read_choice(context, merge, merge_path, "merge", merges, 2, &merge_kind));
        job_path_key(branch_path, sizeof branch_path, block_path, "branches");
        if (branches->kind != JOB_NODE_SEQUENCE || branches->count < 2 ||
            branches->count > NTK_BRANCH_MAX_BRANCHES) {
            char description[96];
            return job_fail(context, branches, branch_path,
                            "must be a list of 2 to %d lists of layers, got %s",
                            (int)NTK_BRANCH_MAX_BRANCHES,
                            branches->kind == JOB_NODE_SEQUENCE && branches->count < 2
                                ? "fewer than two"
                                : job_node_describe(branches, description, sizeof description));
        }
        NTK_TRY(branch_entry(context, reader, item, block_path, &ntk_layer_branch_fork,
                             NTK_BLOCK_PARALLEL, branches->count));
        for (int b = 0; b < branches->count; ++b) {
            char one_path[JOB_PATH_TEXT_MAX];
            job_path_index(one_path, sizeof one_path, branch_path, b);
            if (b > 0)
                NTK_TRY(branch_entry(context, reader, item, block_path, &ntk_layer_branch_next,
                                     0, 0));
            NTK_TRY(read_branch(context, branches->items[b], one_path, depth, activation_before,
                                reader));
        }
        NTK_TRY(branch_entry(context, reader, item, block_path, &ntk_layer_branch_join,
                             merge_kind, 0));
    }
    reader->previous_is_activation = 0;
    return NTK_OK;
}

/* One layer that is not a block. */
static ntk_status read_layer(const job_context *context, const job_node *item, const char *path,
                             layers_reader *reader)
{
    ntk_model_spec *model = reader->model;
    ntk_layer_spec *layer = NULL;
    NTK_TRY(next_entry(context, reader, item, path, &layer));
    if (item->kind == JOB_NODE_MAPPING)
        NTK_TRY(read_mapping_layer(context, item, path, layer));
    else
        NTK_TRY(read_bare_layer(context, item, path, layer));
    for (int j = 0; j + 1 < model->n_layers && layer->name[0] != '\0'; ++j)
        if (strcmp(model->layers[j].name, layer->name) == 0) {
            char other[160];
            return job_fail(context, item, path,
                            "name '%s' is already the name of %s: a weights file's tensors "
                            "'%s.*' must belong to one layer",
                            layer->name, model_layer_key(model->layers, j, other, sizeof other),
                            layer->name);
        }
    const int has_parameters = ntk_layer_has_parameters(layer->ops);
    if (has_parameters && reader->n_parameters == NTK_MAX_DENSE)
        return job_fail(context, item, path, "too many %s layers (at most %d)",
                        reader->with_parameters, (int)NTK_MAX_DENSE);
    if (!has_parameters && reader->n_parameters == 0)
        return job_fail(context, item, path, "the first layer must be %s ({dense: WIDTH}), "
                        "got '%s'", reader->with_parameters, layer->ops->name);
    /* Activations (the in-place parameter-free layers) never follow each
     * other; pooling and flatten may sit anywhere after the first layer. */
    const int is_activation = !has_parameters && layer->ops->in_place;
    if (is_activation && reader->previous_is_activation)
        return job_fail(context, item, path,
                        "activation '%s' must follow a layer that is not an activation "
                        "(two activations in a row)", layer->ops->name);
    reader->n_parameters += has_parameters;
    reader->previous_is_activation = is_activation;
    return NTK_OK;
}

static ntk_status read_list(const job_context *context, const job_node *list, const char *path,
                            int depth, layers_reader *reader)
{
    for (int i = 0; i < list->count; ++i) {
        const job_node *item = list->items[i];
        char item_path[JOB_PATH_TEXT_MAX];
        job_path_index(item_path, sizeof item_path, path, i);
        if (item->kind == JOB_NODE_MAPPING && item->count == 1 &&
            (strcmp(item->keys[0]->text, "residual") == 0 ||
             strcmp(item->keys[0]->text, "parallel") == 0))
            NTK_TRY(read_block(context, item, item_path, depth, reader));
        else
            NTK_TRY(read_layer(context, item, item_path, reader));
    }
    return NTK_OK;
}

ntk_status job_read_layers(const job_context *context, const job_node *layers,
                           const ntk_shape *input_shape, ntk_model_spec *model)
{
    layers_reader reader;
    memset(&reader, 0, sizeof reader);
    reader.model = model;
    parameter_types(reader.with_parameters, sizeof reader.with_parameters);
    NTK_TRY(job_check_list(context, layers, "model.layers",
                           " such as [{dense: 256}, relu, {dense: 1}]"));
    model->n_layers = 0;
    NTK_TRY(read_list(context, layers, "model.layers", 0, &reader));
    const ntk_layer_spec *last = &model->layers[model->n_layers - 1];
    if (!ntk_layer_has_parameters(last->ops))
        return job_fail(context, layers->items[layers->count - 1], "model.layers",
                        "the last layer must be %s: the network output f = z_{L+1} is the "
                        "last %s layer, without an activation", reader.with_parameters,
                        reader.with_parameters);
    summarise(context, reader.nodes, model);

    int bad = -1;
    char why[256];
    /* Inputs read from a file have their shape checked when it is known
     * (model_create, plan); here a flat one-value input stands in for it
     * unless the first layer needs tensor inputs (conv, pooling). */
    ntk_shape input = {1, {1, 0, 0}, 1}, probe;
    if (input_shape != NULL)
        input = *input_shape;
    else if (model->layers[0].ops->infer(model->layers[0].option, &input, &probe, why, sizeof why))
        return NTK_OK;
    if (model_check_sizes(model->layers, model->n_layers, &input, &bad, why, sizeof why)) {
        char key[160] = "model.layers";
        if (bad >= 0)
            model_layer_key(model->layers, bad, key, sizeof key);
        /* Point at the value that sets the size ({dense: VALUE}) when there is one. */
        const job_node *node = bad >= 0 ? reader.nodes[bad] : layers;
        if (node->kind == JOB_NODE_MAPPING && node->count == 1 && node->items[0]->kind == JOB_NODE_SCALAR)
            node = node->items[0];
        return job_fail(context, node, key, "%s", why);
    }
    return NTK_OK;
}
