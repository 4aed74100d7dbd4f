/* The readers of the key types SOURCE and TARGETS (data.inputs, data.targets,
 * ...: a data file or a synthetic mapping) and LAYERS (model.layers) that
 * the key tables use (job_table.c), and path resolution beside the job. */
#include "job/job_sections.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "job/job_read.h"

int job_has_extension(const char *path, const char *extension)
{
    size_t length = strlen(path), extension_length = strlen(extension);
    return length > extension_length &&
           strcasecmp(path + length - extension_length, extension) == 0;
}

/* Relative paths in a job name files beside the job, wherever it is run from. */
ntk_status job_resolve_path(const job_context *context, const job_node *node,
                            const char *path_key, const char *job_path, const char *text,
                            char *out, size_t size)
{
    const char *slash = strrchr(job_path, '/');
    int written;
    if (text[0] == '/' || slash == NULL)
        written = snprintf(out, size, "%s", text);
    else
        written = snprintf(out, size, "%.*s/%s", (int)(slash - job_path), job_path, text);
    if (written < 0 || (size_t)written >= size)
        return job_fail(context, node, path_key, "the path is too long (at most %zu characters)",
                        size - 1);
    return NTK_OK;
}

/* A data file path: .npy or .csv (the data module checks it exists). */
static ntk_status read_data_file(const job_context *context, const job_node *node,
                                 const char *path, const char *job_path, ntk_data_source *source)
{
    char text[NTK_PATH_MAX];
    NTK_TRY(job_read_string(context, node, path, text, sizeof text));
    if (job_has_extension(text, ".npy"))
        source->kind = NTK_SOURCE_NPY;
    else if (job_has_extension(text, ".csv"))
        source->kind = NTK_SOURCE_CSV;
    else
        return job_fail(context, node, path,
                        "unknown data file type '%s' (expected a .npy or .csv file, or a "
                        "mapping such as {synthetic: gaussian, n: 1000, dim: 8})",
                        text);
    return job_resolve_path(context, node, path, job_path, text, source->path,
                            sizeof source->path);
}

static ntk_status read_seed(const job_context *context, const job_node *mapping,
                            const char *path, uint64_t *seed)
{
    const job_node *node = job_node_find(mapping, "seed", NULL);
    *seed = 0;
    if (node == NULL)
        return NTK_OK;
    char key[JOB_PATH_TEXT_MAX];
    job_path_key(key, sizeof key, path, "seed");
    int64_t value = 0;
    NTK_TRY(job_read_int(context, node, key, NULL, "an integer >= 0", 0, INT64_MAX, &value));
    *seed = (uint64_t)value;
    return NTK_OK;
}

/* shape: [H, W, C] (images) or [L, C] (sequences), channels last; dim is its product. */
static ntk_status read_input_shape(const job_context *context, const job_node *node,
                                   const char *key, ntk_data_source *source)
{
    char description[96], shape_key[JOB_PATH_TEXT_MAX];
    job_path_key(shape_key, sizeof shape_key, key, "shape");
    if (node->kind != JOB_NODE_SEQUENCE || node->count < 2 || node->count > 3)
        return job_fail(context, node, shape_key,
                        "must be [H, W, C] or [L, C] (channels last), got %s",
                        job_node_describe(node, description, sizeof description));
    source->shape_rank = node->count;
    source->dim = 1;
    for (int d = 0; d < node->count; ++d) {
        char path[JOB_PATH_TEXT_MAX];
        job_path_index(path, sizeof path, shape_key, d);
        NTK_TRY(job_read_int(context, node->items[d], path, NULL, "a positive integer", 1,
                             2147483647, &source->shape[d]));
        if (source->dim > INT64_MAX / source->shape[d])
            return job_fail(context, node, shape_key, "has too many values per input");
        source->dim *= source->shape[d];
    }
    return NTK_OK;
}

/* data.inputs or data.test_inputs (`key`) into `source`. */
static ntk_status read_inputs(const job_context *context, const job_node *node, const char *key,
                              const char *job_path, ntk_data_source *source)
{
    NTK_TRY(job_node_location(context, node, &source->where));
    if (node->kind == JOB_NODE_SCALAR && !job_node_is_null(node))
        return read_data_file(context, node, key, job_path, source);
    static const char *const keys[] = {"synthetic", "n", "dim", "shape", "seed", NULL};
    if (job_node_is_null(node) || node->kind != JOB_NODE_MAPPING) {
        char description[96];
        return job_fail(context, node, key,
                        "must be a .npy/.csv path or a mapping {synthetic: gaussian|sphere, n, "
                        "dim, seed}, got %s",
                        job_node_describe(node, description, sizeof description));
    }
    NTK_TRY(job_check_mapping(context, node, key, keys));
    const char *const required[] = {"synthetic", "n", "dim"};
    for (int i = 0; i < 3; ++i)
        if (job_node_find(node, required[i], NULL) == NULL &&
            (i < 2 || job_node_find(node, "shape", NULL) == NULL))
            return job_fail(context, node, key,
                            "synthetic inputs need the key '%s' (synthetic: gaussian|sphere, "
                            "n: points, dim: input dimension or shape: [H, W, C])",
                            required[i]);
    char path[JOB_PATH_TEXT_MAX];
    int kind = 0;
    job_path_key(path, sizeof path, key, "synthetic");
    NTK_TRY(job_read_enum(context, job_node_find(node, "synthetic", NULL), path,
                          "synthetic input kind", &data_synthetic_names,
                          1u << NTK_SYNTH_GAUSSIAN | 1u << NTK_SYNTH_SPHERE, &kind));
    source->kind = NTK_SOURCE_SYNTHETIC;
    source->synthetic = (ntk_synthetic_kind)kind;
    job_path_key(path, sizeof path, key, "n");
    NTK_TRY(job_read_int(context, job_node_find(node, "n", NULL), path, NULL,
                         "a positive integer", 1, INT64_MAX, &source->n));
    source->shape_rank = 0;
    const job_node *shape = job_node_find(node, "shape", NULL);
    if (shape != NULL)
        NTK_TRY(read_input_shape(context, shape, key, source));
    const job_node *dim = job_node_find(node, "dim", NULL);
    if (dim != NULL) {
        int64_t value = 0;
        job_path_key(path, sizeof path, key, "dim");
        NTK_TRY(job_read_int(context, dim, path, NULL, "a positive integer", 1, INT64_MAX, &value));
        if (shape != NULL && value != source->dim)
            return job_fail(context, dim, path, "is %lld but %s.shape holds %lld values per input",
                            (long long)value, key, (long long)source->dim);
        source->dim = value;
    }
    return read_seed(context, node, key, &source->seed);
}

/* data.targets or data.test_targets (`key`) into `source`. */
static ntk_status read_targets(const job_context *context, const job_node *node, const char *key,
                               const char *job_path, ntk_data_source *source)
{
    NTK_TRY(job_node_location(context, node, &source->where));
    if (job_node_is_null(node)) {
        source->kind = NTK_SOURCE_NONE; /* `targets:` or --set data.targets= : none */
        return NTK_OK;
    }
    if (node->kind == JOB_NODE_SCALAR)
        return read_data_file(context, node, key, job_path, source);
    if (node->kind != JOB_NODE_MAPPING) {
        char description[96];
        return job_fail(context, node, key,
                        "must be a .npy/.csv path or a mapping {synthetic: gaussian|sine, seed}, "
                        "got %s",
                        job_node_describe(node, description, sizeof description));
    }
    static const char *const keys[] = {"synthetic", "seed", NULL};
    NTK_TRY(job_check_mapping(context, node, key, keys));
    const job_node *kind_node = job_node_find(node, "synthetic", NULL);
    if (kind_node == NULL)
        return job_fail(context, node, key,
                        "synthetic targets need the key 'synthetic' (gaussian or sine)");
    char path[JOB_PATH_TEXT_MAX];
    job_path_key(path, sizeof path, key, "synthetic");
    int kind = 0;
    NTK_TRY(job_read_enum(context, kind_node, path, "synthetic target kind",
                          &data_synthetic_names, 1u << NTK_SYNTH_GAUSSIAN | 1u << NTK_SYNTH_SINE,
                          &kind));
    source->kind = NTK_SOURCE_SYNTHETIC;
    source->synthetic = (ntk_synthetic_kind)kind;
    return read_seed(context, node, key, &source->seed);
}

ntk_status job_read_source(const job_context *context, const job_node *node, const char *path,
                           int targets, int required, const char *job_path,
                           ntk_data_source *source)
{
    memset(source, 0, sizeof *source);
    if (targets)
        return read_targets(context, node, path, job_path, source);
    if (!required && job_node_is_null(node))
        return NTK_OK; /* `test_inputs:` or --set data.test_inputs= : none */
    return read_inputs(context, node, path, job_path, source);
}

ntk_status job_read_model_layers(const job_context *context, const job_node *layers,
                                 const ntk_data_source *inputs, ntk_model_spec *model)
{
    /* Sizes are checked on the inputs' dimension when the job says it. */
    ntk_shape shape = {1, {inputs->dim, 0, 0}, inputs->dim};
    if (inputs->kind == NTK_SOURCE_SYNTHETIC && inputs->shape_rank > 0) {
        shape.rank = inputs->shape_rank;
        for (int d = 0; d < inputs->shape_rank; ++d)
            shape.dim[d] = inputs->shape[d];
    }
    return job_read_layers(context, layers,
                           inputs->kind == NTK_SOURCE_SYNTHETIC && inputs->dim > 0 ? &shape : NULL,
                           model);
}
