/* job_load: read the job file, apply the overrides, validate every section
 * and the sweep; and job_parse_override for --set (see job.h). */
#include "job/job.h"

#include <stdio.h>
#include <string.h>

#include "job/job_rules.h"
#include "job/job_sections.h"
#include "job/job_sweep.h"
#include "job/job_table.h"
#include "job/job_tree.h"

ntk_status job_parse_override(const char *text, ntk_override *out)
{
    memset(out, 0, sizeof *out);
    const char *equals = strchr(text, '=');
    if (equals == NULL || equals == text)
        return NTK_RAISE(NTK_ERR_USAGE,
                         "--set %s: expected key.path=value (e.g. model.seed=3 or "
                         "model.layers[0].dense=512)",
                         text);
    /* Tolerate "key = value" as typed in a shell with quotes. */
    const char *key_end = equals;
    while (key_end > text && key_end[-1] == ' ')
        --key_end;
    const char *value = equals + 1;
    while (*value == ' ')
        ++value;
    size_t key_length = (size_t)(key_end - text);
    if (key_length >= sizeof out->key)
        return NTK_RAISE(NTK_ERR_USAGE, "--set %.40s...: the key is too long (at most %zu characters)",
                         text, sizeof out->key - 1);
    memcpy(out->key, text, key_length);
    if (strlen(value) >= sizeof out->value)
        return NTK_RAISE(NTK_ERR_USAGE, "--set %s: the value is too long (at most %zu characters)",
                         out->key, sizeof out->value - 1);
    snprintf(out->value, sizeof out->value, "%s", value);
    job_key_path path;
    if (!job_key_path_parse(out->key, &path))
        return NTK_RAISE(NTK_ERR_USAGE,
                         "--set %s: not a key path (expected names separated by dots, with "
                         "[index] for list items, e.g. model.layers[0].dense)",
                         out->key);
    return NTK_OK;
}

/* "jobs/demo.yaml" -> "demo". */
static void default_name(const char *path, char *name, size_t size)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t length = strlen(base);
    if (length > 5 && strcmp(base + length - 5, ".yaml") == 0)
        length -= 5;
    else if (length > 4 && strcmp(base + length - 4, ".yml") == 0)
        length -= 4;
    if (length >= size)
        length = size - 1;
    memcpy(name, base, length);
    name[length] = '\0';
}

ntk_status job_read_sections(const job_context *context, const job_node *root, ntk_job *job)
{
    NTK_TRY(job_table_read(context, root, job));
    const job_node *sweep = job_node_find(root, "sweep", NULL);
    job->sweep.n_keys = 0;
    if (sweep != NULL)
        NTK_TRY(job_read_sweep(context, sweep, job));
    return job_check_rules(context, root, job);
}

static ntk_status apply_overrides(const job_context *context, job_node *root,
                                  const ntk_override *overrides, int n_overrides)
{
    for (int i = 0; i < n_overrides; ++i) {
        job_key_path path;
        if (!job_key_path_parse(overrides[i].key, &path))
            return NTK_RAISE(NTK_ERR_JOB,
                             "--set %s: not a key path (expected names separated by dots, with "
                             "[index] for list items, e.g. model.layers[0].dense)",
                             overrides[i].key);
        job_node *value = NULL;
        NTK_TRY(job_tree_parse_text(overrides[i].value, overrides[i].key, &value));
        /* A sweep value: its messages point at it in the job file, not at --set. */
        if (overrides[i].line > 0)
            job_tree_place(value, overrides[i].line, overrides[i].column);
        NTK_TRY(job_tree_set(context, root, overrides[i].key, value));
    }
    return NTK_OK;
}

static ntk_status load_tree(const job_context *context, job_node *root,
                            const ntk_override *overrides, int n_overrides, ntk_job *job)
{
    if (root->kind != JOB_NODE_MAPPING) {
        char description[96];
        return job_fail(context, root, "",
                        "a job file is a mapping of keys (name, data, model, kernel, ...), got %s",
                        job_node_describe(root, description, sizeof description));
    }
    NTK_TRY(apply_overrides(context, root, overrides, n_overrides));
    NTK_TRY(job_read_sections(context, root, job));
    if (job->name[0] == '\0')
        default_name(job->path, job->name, sizeof job->name);
    return job_check_sweep(context, root, job);
}

ntk_status job_load(const char *path, const ntk_override *overrides, int n_overrides,
                    ntk_job *job)
{
    memset(job, 0, sizeof *job);
    if (strlen(path) >= sizeof job->path)
        return NTK_RAISE(NTK_ERR_JOB, "%.60s...: the job file path is too long", path);
    snprintf(job->path, sizeof job->path, "%s", path);
    if (n_overrides < 0 || n_overrides > NTK_MAX_JOB_OVERRIDES)
        return NTK_RAISE(NTK_ERR_USAGE, "too many overrides (%d, at most %d)", n_overrides,
                         NTK_MAX_JOB_OVERRIDES);

    job_node *root = NULL;
    NTK_TRY(job_tree_read_file(path, &root));
    if (root == NULL || job_node_is_null(root)) {
        job_tree_free(root);
        return NTK_RAISE(NTK_ERR_JOB,
                         "%s: the job file is empty (it needs at least data.inputs and "
                         "model.layers; see jobs/demo.yaml)",
                         path);
    }
    job_context context = {.file = path};
    ntk_status status = load_tree(&context, root, overrides, n_overrides, job);
    job_tree_free(root);
    NTK_TRY(status);
    for (int i = 0; i < n_overrides; ++i) {
        NTK_TRY(job_intern_text(overrides[i].key, &job->overrides[i].key));
        NTK_TRY(job_intern_text(overrides[i].value, &job->overrides[i].value));
    }
    job->n_overrides = n_overrides;
    return NTK_OK;
}

ntk_status job_string_override(const char *key, const char *text, ntk_override *out)
{
    out->line = out->column = 0;
    if (snprintf(out->key, sizeof out->key, "%s", key) >= (int)sizeof out->key)
        return NTK_RAISE(NTK_ERR_USAGE, "override key too long: %s", key);
    size_t used = 0;
    out->value[used++] = '"';
    for (const char *p = text; *p != '\0'; ++p) {
        if (used + 3 >= sizeof out->value)
            return NTK_RAISE(NTK_ERR_USAGE, "%s: value too long for an override: %s", key, text);
        if (*p == '"' || *p == '\\')
            out->value[used++] = '\\';
        out->value[used++] = *p;
    }
    out->value[used++] = '"';
    out->value[used] = '\0';
    return NTK_OK;
}
