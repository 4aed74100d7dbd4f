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

/* The value as YAML text that parses back to the same scalar. */
static int value_text(const job_node *value, char *buffer, size_t size)
{
    if (value->plain)
        return snprintf(buffer, size, "%s", value->text) < (int)size;
    size_t used = 0;
    if (used + 1 >= size)
        return 0;
    buffer[used++] = '\'';
    for (const char *p = value->text; *p; ++p) {
        if (used + 3 >= size)
            return 0;
        if (*p == '\'')
            buffer[used++] = '\'';
        buffer[used++] = *p;
    }
    buffer[used++] = '\'';
    buffer[used] = '\0';
    return 1;
}

ntk_status job_read_sweep(const job_context *context, const job_node *sweep, ntk_job *job)
{
    char description[96];
    ntk_sweep_spec *spec = &job->sweep;
    NTK_TRY(job_node_location(context, sweep, &spec->where));
    if (sweep->kind != JOB_NODE_MAPPING || sweep->count == 0)
        return job_fail(context, sweep, "sweep",
                        "must be a mapping of key paths to lists of values, e.g. "
                        "{model.seed: [0, 1, 2]}, got %s",
                        sweep->kind == JOB_NODE_MAPPING
                            ? "an empty mapping"
                            : job_node_describe(sweep, description, sizeof description));
    if (sweep->count > NTK_MAX_SWEEP_KEYS)
        return job_fail(context, sweep, "sweep", "has %d keys, at most %d", sweep->count,
                        NTK_MAX_SWEEP_KEYS);
    for (int k = 0; k < sweep->count; ++k) {
        const job_node *key = sweep->keys[k];
        const job_node *values = sweep->items[k];
        char path[JOB_PATH_TEXT_MAX];
        job_path_key(path, sizeof path, "sweep", key->text);
        job_key_path parsed;
        if (!job_key_path_parse(key->text, &parsed))
            return job_fail(context, key, path,
                            "not a key path (expected names separated by dots, with [index] for "
                            "list items, e.g. model.layers[0].dense)");
        if (strcmp(parsed.segment[0].name, "sweep") == 0 ||
            strlen(key->text) >= NTK_SWEEP_KEY_MAX)
            return job_fail(context, key, path, "cannot be swept");
        NTK_TRY(job_check_list(context, values, path, " of values"));
        if (values->count > NTK_MAX_SWEEP_VALUES)
            return job_fail(context, values, path, "has %d values, at most %d", values->count,
                            NTK_MAX_SWEEP_VALUES);
        NTK_TRY(job_intern_text(key->text, &spec->key[k]));
        for (int v = 0; v < values->count; ++v) {
            const job_node *value = values->items[v];
            char value_path[JOB_PATH_TEXT_MAX];
            job_path_index(value_path, sizeof value_path, path, v);
            if (value->kind != JOB_NODE_SCALAR)
                return job_fail(context, value, value_path, "must be a single value, got %s",
                                job_node_describe(value, description, sizeof description));
            char text[NTK_SWEEP_VALUE_MAX];
            if (!value_text(value, text, sizeof text))
                return job_fail(context, value, value_path, "is too long (at most %zu characters)",
                                sizeof text - 3);
            NTK_TRY(job_intern_text(text, &spec->value[k][v]));
            spec->value_line[k][v] = value->line;
            spec->value_column[k][v] = value->column;
        }
        spec->n_values[k] = values->count;
    }
    spec->n_keys = sweep->count;
    return NTK_OK;
}

ntk_status job_check_sweep(const job_context *context, const job_node *root, const ntk_job *job)
{
    const job_node *sweep = job_node_find(root, "sweep", NULL);
    if (sweep == NULL || job->sweep.n_keys == 0)
        return NTK_OK;
    ntk_job *scratch_job = NULL;
    NTK_TRY(NTK_CALLOC(scratch_job, 1, "a scratch job for the sweep check"));
    ntk_status status = NTK_OK;
    for (int k = 0; k < sweep->count && status == NTK_OK; ++k) {
        const job_node *values = sweep->items[k];
        for (int v = 0; v < values->count && status == NTK_OK; ++v) {
            char label[JOB_PATH_TEXT_MAX + 32];
            snprintf(label, sizeof label, "sweep.%s[%d]", sweep->keys[k]->text, v);
            job_context sweep_context = {.file = context->file,
                                         .sweep_label = label,
                                         .sweep_key = sweep->keys[k]->text,
                                         .sweep_node = values->items[v]};
            job_node *scratch = NULL, *value = NULL;
            status = job_tree_copy(root, &scratch);
            if (status == NTK_OK)
                status = job_tree_copy(values->items[v], &value);
            if (status == NTK_OK)
                status = job_tree_set(&sweep_context, scratch, sweep->keys[k]->text, value);
            else
                job_tree_free(value);
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
