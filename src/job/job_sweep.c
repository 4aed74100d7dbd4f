/* The sweep: section: key paths mapped to lists of values. Reading keeps the
 * YAML text of each value (the sweep module applies them as overrides);
 * checking applies every value to a scratch copy of the job tree and
 * validates it, so a typo in a key path or a bad value fails at load time,
 * naming sweep.<key>, instead of in the middle of a batch. */
#include "job/job_sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job/job_read.h"
#include "job/job_sections.h"

/* A scalar as YAML text that parses back to the same scalar. */
static int scalar_text(const job_node *value, char *buffer, size_t size, size_t *used)
{
    if (value->plain) {
        const int written = snprintf(buffer + *used, size - *used, "%s", value->text);
        if (written < 0 || (size_t)written >= size - *used)
            return 0;
        *used += (size_t)written;
        return 1;
    }
    if (*used + 1 >= size)
        return 0;
    buffer[(*used)++] = '\'';
    for (const char *p = value->text; *p; ++p) {
        if (*used + 3 >= size)
            return 0;
        if (*p == '\'')
            buffer[(*used)++] = '\'';
        buffer[(*used)++] = *p;
    }
    buffer[(*used)++] = '\'';
    buffer[*used] = '\0';
    return 1;
}

static int append(const char *text, char *buffer, size_t size, size_t *used)
{
    const size_t length = strlen(text);
    if (*used + length >= size)
        return 0;
    memcpy(buffer + *used, text, length + 1);
    *used += length;
    return 1;
}

/* Any value as flow-style YAML text ("[{dense: 64}, relu, {dense: 1}]" for
 * a list of layers) that parses back to the same tree; 0 when it does not
 * fit `size`. */
static int value_text(const job_node *value, char *buffer, size_t size, size_t *used)
{
    if (value->kind == JOB_NODE_SCALAR)
        return scalar_text(value, buffer, size, used);
    const int mapping = value->kind == JOB_NODE_MAPPING;
    if (!append(mapping ? "{" : "[", buffer, size, used))
        return 0;
    for (int i = 0; i < value->count; ++i) {
        if (i > 0 && !append(", ", buffer, size, used))
            return 0;
        if (mapping && (!scalar_text(value->keys[i], buffer, size, used) ||
                        !append(": ", buffer, size, used)))
            return 0;
        if (!value_text(value->items[i], buffer, size, used))
            return 0;
    }
    return append(mapping ? "}" : "]", buffer, size, used);
}

/* One key of the sweep (`path`, e.g. "sweep.model.seed" or
 * "sweep.zip.model.seed") with its list of values, on `axis`. */
static ntk_status read_key(const job_context *context, const job_node *key,
                           const job_node *values, const char *path, int axis, int zipped,
                           ntk_sweep_spec *spec)
{
    const int k = spec->n_keys;
    if (k >= NTK_MAX_SWEEP_KEYS)
        return job_fail(context, key, "sweep", "has more than %d keys", NTK_MAX_SWEEP_KEYS);
    job_key_path parsed;
    if (!job_key_path_parse(key->text, &parsed))
        return job_fail(context, key, path,
                        "not a key path (expected names separated by dots, with [index] for "
                        "list items, e.g. model.layers[0].dense)");
    if (strcmp(parsed.segment[0].name, "sweep") == 0 || strlen(key->text) >= NTK_SWEEP_KEY_MAX)
        return job_fail(context, key, path, "cannot be swept");
    for (int other = 0; other < k; ++other)
        if (strcmp(spec->key[other], key->text) == 0)
            return job_fail(context, key, path, "is swept twice (in sweep and in sweep.zip)");
    NTK_TRY(job_check_list(context, values, path, " of values"));
    if (values->count > NTK_MAX_SWEEP_VALUES)
        return job_fail(context, values, path, "has %d values, at most %d", values->count,
                        NTK_MAX_SWEEP_VALUES);
    NTK_TRY(job_intern_text(key->text, &spec->key[k]));
    for (int v = 0; v < values->count; ++v) {
        const job_node *value = values->items[v];
        char value_path[JOB_PATH_TEXT_MAX];
        job_path_index(value_path, sizeof value_path, path, v);
        char text[NTK_SWEEP_VALUE_MAX];
        size_t used = 0;
        text[0] = '\0';
        if (!value_text(value, text, sizeof text, &used))
            return job_fail(context, value, value_path,
                            "is too long (at most %zu characters as YAML text)", sizeof text - 3);
        NTK_TRY(job_intern_text(text, &spec->value[k][v]));
        spec->value_line[k][v] = value->line;
        spec->value_column[k][v] = value->column;
    }
    spec->n_values[k] = values->count;
    spec->axis[k] = axis;
    spec->zipped[k] = zipped;
    spec->n_keys = k + 1;
    return NTK_OK;
}

/* sweep.zip: keys that vary together, one axis; equal lengths. */
static ntk_status read_zip(const job_context *context, const job_node *zip, int axis,
                           ntk_sweep_spec *spec)
{
    char description[96];
    if (zip->kind != JOB_NODE_MAPPING || zip->count == 0)
        return job_fail(context, zip, "sweep.zip",
                        "must be a mapping of key paths to lists of equal length, e.g. "
                        "{model.layers[0].dense: [64, 256], model.layers[2].dense: [64, 256]}, "
                        "got %s",
                        zip->kind == JOB_NODE_MAPPING
                            ? "an empty mapping"
                            : job_node_describe(zip, description, sizeof description));
    for (int k = 0; k < zip->count; ++k) {
        char path[JOB_PATH_TEXT_MAX];
        job_path_key(path, sizeof path, "sweep.zip", zip->keys[k]->text);
        if (strcmp(zip->keys[k]->text, "zip") == 0)
            return job_fail(context, zip->keys[k], path, "cannot be nested");
        NTK_TRY(read_key(context, zip->keys[k], zip->items[k], path, axis, 1, spec));
        const int first = spec->n_keys - 1 - k, last = spec->n_keys - 1;
        if (spec->n_values[last] != spec->n_values[first])
            return job_fail(context, zip->items[k], path,
                            "has %d values, but sweep.zip.%s has %d: keys that vary together "
                            "need lists of equal length",
                            spec->n_values[last], spec->key[first], spec->n_values[first]);
    }
    return NTK_OK;
}

ntk_status job_read_sweep(const job_context *context, const job_node *sweep, ntk_job *job)
{
    char description[96];
    ntk_sweep_spec *spec = &job->sweep;
    spec->n_keys = 0;
    spec->n_axes = 0;
    NTK_TRY(job_node_location(context, sweep, &spec->where));
    /* `sweep: {}` or `sweep: null` (--set sweep={}, --no-sweep): no sweep */
    if ((sweep->kind == JOB_NODE_MAPPING && sweep->count == 0) ||
        (sweep->kind == JOB_NODE_SCALAR && job_node_is_null(sweep)))
        return NTK_OK;
    if (sweep->kind != JOB_NODE_MAPPING)
        return job_fail(context, sweep, "sweep",
                        "must be a mapping of key paths to lists of values, e.g. "
                        "{model.seed: [0, 1, 2]}, got %s",
                        job_node_describe(sweep, description, sizeof description));
    for (int k = 0; k < sweep->count; ++k) {
        const job_node *key = sweep->keys[k];
        if (strcmp(key->text, "zip") == 0) {
            NTK_TRY(read_zip(context, sweep->items[k], spec->n_axes, spec));
        } else {
            char path[JOB_PATH_TEXT_MAX];
            job_path_key(path, sizeof path, "sweep", key->text);
            NTK_TRY(read_key(context, key, sweep->items[k], path, spec->n_axes, 0, spec));
        }
        spec->n_axes++;
    }
    return NTK_OK;
}

/* The keys of one axis, in the tree: their key nodes and value lists. */
static int axis_keys(const job_node *sweep, const ntk_sweep_spec *spec, int axis,
                     const job_node **keys, const job_node **values)
{
    int count = 0;
    for (int k = 0; k < sweep->count; ++k) {
        const job_node *key = sweep->keys[k], *items = sweep->items[k];
        if (strcmp(key->text, "zip") == 0) {
            for (int z = 0; z < items->count; ++z)
                for (int s = 0; s < spec->n_keys; ++s)
                    if (spec->axis[s] == axis && spec->zipped[s] &&
                        strcmp(spec->key[s], items->keys[z]->text) == 0) {
                        keys[count] = items->keys[z];
                        values[count++] = items->items[z];
                    }
        } else {
            for (int s = 0; s < spec->n_keys; ++s)
                if (spec->axis[s] == axis && !spec->zipped[s] &&
                    strcmp(spec->key[s], key->text) == 0) {
                    keys[count] = key;
                    values[count++] = items;
                }
        }
    }
    return count;
}

ntk_status job_check_sweep(const job_context *context, const job_node *root, const ntk_job *job)
{
    const job_node *sweep = job_node_find(root, "sweep", NULL);
    if (sweep == NULL || job->sweep.n_keys == 0)
        return NTK_OK;
    ntk_job *scratch_job = NULL;
    NTK_TRY(NTK_CALLOC(scratch_job, 1, "a scratch job for the sweep check"));
    ntk_status status = NTK_OK;
    /* Value v of every key of an axis at once: keys that vary together are
     * checked together, as their points will run. */
    for (int axis = 0; axis < job->sweep.n_axes && status == NTK_OK; ++axis) {
        const job_node *keys[NTK_MAX_SWEEP_KEYS], *values[NTK_MAX_SWEEP_KEYS];
        const int count = axis_keys(sweep, &job->sweep, axis, keys, values);
        int zipped = 0;
        for (int s = 0; s < job->sweep.n_keys; ++s)
            zipped |= job->sweep.axis[s] == axis && job->sweep.zipped[s];
        for (int v = 0; count > 0 && v < values[0]->count && status == NTK_OK; ++v) {
            char label[JOB_PATH_TEXT_MAX + 32];
            if (zipped)
                snprintf(label, sizeof label, "sweep.zip[%d]", v);
            else
                snprintf(label, sizeof label, "sweep.%s[%d]", keys[0]->text, v);
            /* a zip names the failing key path after its label */
            job_context sweep_context = {.file = context->file,
                                         .sweep_label = label,
                                         .sweep_key = zipped ? "" : keys[0]->text,
                                         .sweep_node = values[0]->items[v]};
            job_node *scratch = NULL;
            status = job_tree_copy(root, &scratch);
            for (int k = 0; k < count && status == NTK_OK; ++k) {
                job_node *value = NULL;
                status = job_tree_copy(values[k]->items[v], &value);
                if (status == NTK_OK)
                    status = job_tree_set(&sweep_context, scratch, keys[k]->text, value);
                else
                    job_tree_free(value);
            }
            if (status == NTK_OK) {
                memset(scratch_job, 0, sizeof *scratch_job);
                snprintf(scratch_job->path, sizeof scratch_job->path, "%s", job->path);
                status = job_read_sections(&sweep_context, scratch, scratch_job);
            }
            job_tree_free(scratch);
        }
    }
    free(scratch_job);
    return status;
}
