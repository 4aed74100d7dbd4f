/* Reading a job through the key tables (see job_table.h): one reader per key
 * type, the defaults, the bounds and the only_key conditions. */
#include "job/job_table.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "job/job_keys.h"
#include "job/job_read.h"
#include "job/job_sections.h"

void *job_table_section(const job_section_binding *binding, const ntk_job *job)
{
    return (char *)job + binding->offset;
}

int64_t job_table_int(const ntk_config_key *key, const void *field)
{
    if (key->size == sizeof(int)) {
        int value = 0;
        memcpy(&value, field, sizeof value);
        return value;
    }
    int64_t value = 0;
    memcpy(&value, field, sizeof value);
    return value;
}

static void store_int(const ntk_config_key *key, void *field, int64_t value)
{
    if (key->size == sizeof(int)) {
        const int narrow = (int)value;
        memcpy(field, &narrow, sizeof narrow);
    } else {
        memcpy(field, &value, sizeof value);
    }
}

static void store_int_at(void *field, int value) { memcpy(field, &value, sizeof value); }

/* "auto or assembly" after `prefix` (", " or ""): an INT's or SHAPE's names. */
static size_t append_names(char *buffer, size_t size, size_t used, const ntk_choice_table *names,
                           const char *prefix)
{
    for (int i = 0; names != NULL && i < names->count && used < size; ++i)
        used += (size_t)snprintf(buffer + used, size - used, "%s%s",
                                 i == 0 ? prefix : i == names->count - 1 ? " or " : ", ",
                                 names->entries[i].name);
    return used;
}

/* What an INT row accepts, in the words of its messages: "a positive
 * integer", "an integer >= 0 (0 = all)", "an integer from 2 to 256", "a
 * positive integer, auto or assembly". */
static void int_requirement(const ntk_config_key *key, char *buffer, size_t size)
{
    const int low = key->bounds & (NTK_KEY_ABOVE | NTK_KEY_AT_LEAST);
    const int high = key->bounds & (NTK_KEY_BELOW | NTK_KEY_AT_MOST);
    const long long minimum =
        (long long)key->minimum + (key->bounds & NTK_KEY_ABOVE ? 1 : 0);
    const long long maximum =
        (long long)key->maximum - (key->bounds & NTK_KEY_BELOW ? 1 : 0);
    size_t used;
    if (low && high)
        used = (size_t)snprintf(buffer, size, "an integer from %lld to %lld", minimum, maximum);
    else if (low && minimum == 1)
        used = (size_t)snprintf(buffer, size, "a positive integer");
    else if (low)
        used = (size_t)snprintf(buffer, size, "an integer >= %lld", minimum);
    else if (high)
        used = (size_t)snprintf(buffer, size, "an integer <= %lld", maximum);
    else
        used = (size_t)snprintf(buffer, size, "an integer");
    if (key->note != NULL && used < size)
        used += (size_t)snprintf(buffer + used, size - used, " (%s)", key->note);
    if (used < size)
        append_names(buffer, size, used, key->choices, ", ");
}

/* The special value `node` names in `names`, if any. */
static int named_value(const ntk_choice_table *names, const job_node *node, int *value)
{
    for (int i = 0; names != NULL && node != NULL && node->kind == JOB_NODE_SCALAR &&
                    i < names->count;
         ++i)
        if (strcmp(node->text, names->entries[i].name) == 0) {
            *value = names->entries[i].value;
            return 1;
        }
    return 0;
}

static ntk_status read_int(const job_context *context, const ntk_config_key *key,
                           const job_node *node, const char *path, void *field)
{
    int named = 0;
    if (named_value(key->choices, node, &named)) {
        store_int(key, field, named);
        return NTK_OK;
    }
    int64_t minimum = key->size == sizeof(int) ? INT_MIN : INT64_MIN;
    int64_t maximum = key->size == sizeof(int) ? INT_MAX : INT64_MAX;
    if (key->bounds & (NTK_KEY_ABOVE | NTK_KEY_AT_LEAST))
        minimum = (int64_t)key->minimum + (key->bounds & NTK_KEY_ABOVE ? 1 : 0);
    if (key->bounds & (NTK_KEY_BELOW | NTK_KEY_AT_MOST)) {
        const int64_t bound = (int64_t)key->maximum - (key->bounds & NTK_KEY_BELOW ? 1 : 0);
        maximum = bound < maximum ? bound : maximum;
    }
    char requirement[256];
    int_requirement(key, requirement, sizeof requirement);
    int64_t value = 0;
    NTK_TRY(job_read_int(context, node, path, NULL, requirement, minimum, maximum, &value));
    store_int(key, field, value);
    return NTK_OK;
}

static ntk_status read_number(const job_context *context, const ntk_config_key *key,
                              const job_node *node, const char *path, void *field)
{
    double value = 0;
    int named = 0;
    if (named_value(key->choices, node, &named)) { /* predict.jitter: auto */
        value = (double)named;
        memcpy(field, &value, sizeof value);
        return NTK_OK;
    }
    NTK_TRY(job_read_bounded_number(context, node, path, key->bounds, key->minimum,
                                    key->maximum, key->note, &value));
    memcpy(field, &value, sizeof value);
    return NTK_OK;
}

/* [rows, cols] of positive integers, or one of the row's names (stored in both). */
static ntk_status read_shape(const job_context *context, const ntk_config_key *key,
                             const job_node *node, const char *path, void *rows, void *cols)
{
    int named = 0;
    if (named_value(key->choices, node, &named)) {
        store_int_at(rows, named);
        store_int_at(cols, named);
        return NTK_OK;
    }
    char description[96], expected[128];
    if (node->kind != JOB_NODE_SEQUENCE || node->count != 2) {
        size_t used = 0;
        expected[0] = '\0';
        for (int i = 0; key->choices != NULL && i < key->choices->count && used < sizeof expected; ++i)
            used += (size_t)snprintf(expected + used, sizeof expected - used, "%s%s",
                                     i ? ", " : "", key->choices->entries[i].name);
        return job_fail(context, node, path,
                        "must be %s or [rows, cols] (two positive integers), got %s", expected,
                        job_node_describe(node, description, sizeof description));
    }
    static const char *const nouns[] = {"rows", "cols"};
    void *const fields[] = {rows, cols};
    for (int i = 0; i < 2; ++i) {
        char item[JOB_PATH_TEXT_MAX];
        job_path_index(item, sizeof item, path, i);
        int64_t value = 0;
        NTK_TRY(job_read_int(context, node->items[i], item, nouns[i], "a positive integer", 1,
                             1 << 24, &value));
        store_int_at(fields[i], (int)value);
    }
    return NTK_OK;
}

/* A list of at most `capacity` step counts >= 0. */
static ntk_status read_steps(const job_context *context, const job_node *node, const char *path,
                             int capacity, int64_t *steps, void *count)
{
    NTK_TRY(job_check_list(context, node, path, " of step counts such as [0, 10, 100]"));
    if (node->count > capacity)
        return job_fail(context, node, path, "has %d entries, at most %d", node->count, capacity);
    for (int i = 0; i < node->count; ++i) {
        char item[JOB_PATH_TEXT_MAX];
        job_path_index(item, sizeof item, path, i);
        NTK_TRY(job_read_int(context, node->items[i], item, NULL, "an integer >= 0", 0,
                             INT64_MAX, &steps[i]));
    }
    store_int_at(count, node->count);
    return NTK_OK;
}

/* A list of at most `capacity` sizes >= 1 (diagnostics.learning_curve). */
static ntk_status read_sizes(const job_context *context, const job_node *node, const char *path,
                             int capacity, int64_t *sizes, void *count)
{
    NTK_TRY(job_check_list(context, node, path, " of sizes such as [50, 100, 200]"));
    if (node->count > capacity)
        return job_fail(context, node, path, "has %d entries, at most %d", node->count, capacity);
    for (int i = 0; i < node->count; ++i) {
        char item[JOB_PATH_TEXT_MAX];
        job_path_index(item, sizeof item, path, i);
        NTK_TRY(job_read_int(context, node->items[i], item, NULL, "an integer >= 1", 1,
                             INT32_MAX, &sizes[i]));
    }
    store_int_at(count, node->count);
    return NTK_OK;
}

static int required(const ntk_config_key *key) { return strcmp(key->default_text, "required") == 0; }

/* `node` into the row's field of `section` (a struct of `job`). */
static ntk_status read_value(const job_context *context, ntk_job *job, const ntk_config_key *key,
                             const job_node *node, const char *path, char *section)
{
    void *field = section + key->offset;
    int flag = 0;
    double seconds = 0;
    switch (key->type) {
    case NTK_KEY_INT:
        return read_int(context, key, node, path, field);
    case NTK_KEY_NUMBER:
        return read_number(context, key, node, path, field);
    case NTK_KEY_BOOL:
        NTK_TRY(job_read_bool(context, node, path, &flag));
        store_int_at(field, flag);
        return NTK_OK;
    case NTK_KEY_CHOICE:
        NTK_TRY(job_read_enum(context, node, path, key->note != NULL ? key->note : "value",
                              key->choices, JOB_ENUM_ANY, &flag));
        store_int_at(field, flag);
        return NTK_OK;
    case NTK_KEY_STRING:
        return job_read_string(context, node, path, field, (int)key->size);
    case NTK_KEY_PATH:
        if (!(key->flags & NTK_KEY_BESIDE_JOB))
            return job_read_string(context, node, path, field, (int)key->size);
        char text[NTK_PATH_MAX];
        NTK_TRY(job_read_string(context, node, path, text, sizeof text));
        return job_resolve_path(context, node, path, job->path, text, field, key->size);
    case NTK_KEY_DURATION:
        NTK_TRY(job_read_duration(context, node, path, &seconds));
        memcpy(field, &seconds, sizeof seconds);
        return NTK_OK;
    case NTK_KEY_STEPS:
        return read_steps(context, node, path, (int)(key->size / sizeof(int64_t)), field,
                          section + key->offset2);
    case NTK_KEY_SIZES:
        return read_sizes(context, node, path, (int)(key->size / sizeof(int64_t)), field,
                          section + key->offset2);
    case NTK_KEY_SHAPE:
        return read_shape(context, key, node, path, field, section + key->offset2);
    case NTK_KEY_SOURCE:
    case NTK_KEY_TARGETS:
        return job_read_source(context, node, path, key->type == NTK_KEY_TARGETS, required(key),
                               job->path, field);
    case NTK_KEY_LAYERS:
        return job_read_model_layers(context, node, &job->inputs, (ntk_model_spec *)section);
    case NTK_KEY_SECTION:
        break;
    }
    return NTK_RAISE(NTK_ERR_INTERNAL, "%s: the key table's type %d has no reader", path,
                     (int)key->type);
}

/* The row whose path is `path` ("dynamics.steps"), or NULL; `*binding` gets its section. */
static const ntk_config_key *find_row(const char *path, const job_section_binding **binding)
{
    const char *dot = strchr(path, '.');
    if (dot == NULL)
        return NULL;
    for (const job_section_binding *b = job_bindings; b->section != NULL; ++b) {
        if (strlen(b->section->name) != (size_t)(dot - path) ||
            strncmp(b->section->name, path, (size_t)(dot - path)) != 0)
            continue;
        const ntk_config_key *key = ntk_config_find(b->section, dot + 1);
        if (key != NULL && binding != NULL)
            *binding = b;
        return key;
    }
    return NULL;
}

/* The row's default (see core/config_keys.h): zero, another key's value,
 * or default_text read like a job value. */
static ntk_status apply_default(const job_context *context, ntk_job *job,
                                const ntk_config_key *key, const char *path, char *section)
{
    void *field = section + key->offset;
    const char *text = key->default_text;
    const int counted =
        key->type == NTK_KEY_STEPS || key->type == NTK_KEY_SIZES || key->type == NTK_KEY_SHAPE;
    if ((key->flags & NTK_KEY_DEFAULT_BY_RULE) || strcmp(text, "none") == 0 || required(key)) {
        memset(field, 0, key->size);
        if (counted)
            store_int_at(section + key->offset2, 0);
        return NTK_OK;
    }
    const job_section_binding *from = NULL;
    const ntk_config_key *source = find_row(text, &from);
    if (source != NULL && source->type == key->type && source->size == key->size) {
        const char *other = job_table_section(from, job);
        memcpy(field, other + source->offset, key->size);
        if (counted)
            memcpy(section + key->offset2, other + source->offset2, sizeof(int));
        return NTK_OK;
    }
    /* The row's own text: an error here is the table's, named as an override. */
    char origin[JOB_PATH_TEXT_MAX + 16];
    snprintf(origin, sizeof origin, "default of %s", path);
    job_node *node = NULL;
    NTK_TRY(job_tree_parse_text(text, origin, &node));
    const ntk_status status = read_value(context, job, key, node, path, section);
    job_tree_free(node);
    return status;
}

/* The value of the section's CHOICE key `name` (only_key conditions). */
static int choice_value(const ntk_config_section *section, const char *section_base,
                        const char *name)
{
    const ntk_config_key *key = ntk_config_find(section, name);
    int value = -1;
    if (key != NULL)
        memcpy(&value, section_base + key->offset, sizeof value);
    return value;
}

int job_table_shown(const ntk_config_section *table, const ntk_config_key *key,
                    const void *section_struct)
{
    const char *section = section_struct;
    if (key->only_key != NULL &&
        choice_value(table, section, key->only_key) != key->only_value)
        return 0;
    if (key->flags & NTK_KEY_ECHO_IF_GIVEN) {
        int given = 0;
        memcpy(&given, section + key->given_offset, sizeof given);
        return given;
    }
    if (!(key->flags & NTK_KEY_ECHO_IF_SET))
        return 1;
    for (size_t i = 0; i < key->size; ++i)
        if (section[key->offset + i] != 0)
            return 1;
    return 0;
}

/* `section: false` / `section: true` of a present = on section: 1 when
 * `node` is such a switch (its value in *on). */
static ntk_status read_switch(const job_context *context, const job_section_binding *binding,
                              const job_node *node, int *is_switch, int *on)
{
    *is_switch = node != NULL && node->kind == JOB_NODE_SCALAR && node->plain &&
                 job_text_to_bool(node->text, on);
    if (*is_switch && *on && !binding->accepts_true) {
        const ntk_config_key *first = &binding->section->keys[0];
        return job_fail(context, node, binding->section->name,
                        "must be a mapping such as {%s: %s} (or false), got true", first->key,
                        first->default_text);
    }
    return NTK_OK;
}

ntk_status job_table_read_section(const job_context *context, const job_node *root,
                                  const job_section_binding *binding, ntk_job *job,
                                  void *section_struct)
{
    const ntk_config_section *table = binding->section;
    char *section = section_struct;
    job_node *key_node = NULL;
    const job_node *node = table->name[0] ? job_node_find(root, table->name, &key_node) : root;
    if (binding->enabled_offset != JOB_ALWAYS_ON) {
        int is_switch = 0, on = key_node != NULL;
        NTK_TRY(read_switch(context, binding, node, &is_switch, &on));
        if (is_switch)
            node = NULL; /* the defaults */
        store_int_at(section + binding->enabled_offset, on);
    }
    for (int k = 0; node == NULL && key_node == NULL && k < table->n_keys; ++k)
        if (required(&table->keys[k]))
            return job_fail(context, root, table->name,
                            "missing required key '%s' (%s.%s: %s)", table->name, table->name,
                            table->keys[k].key, table->keys[k].doc);
    if (node != NULL && table->name[0] != '\0') { /* the top level: job_table_read */
        const char *names[JOB_SECTION_KEYS_MAX];
        job_key_names(table, names, JOB_SECTION_KEYS_MAX);
        NTK_TRY(job_check_mapping(context, node, table->name, names));
    }
    for (int k = 0; k < table->n_keys; ++k) {
        const ntk_config_key *key = &table->keys[k];
        if (key->size == 0)
            continue; /* read by hand (the sweep) */
        char path[JOB_PATH_TEXT_MAX];
        job_path_key(path, sizeof path, table->name, key->key);
        const job_node *item = job_node_find(node, key->key, NULL);
        if (item == NULL && required(key))
            return job_fail(context, node, table->name, "missing required key '%s' (%s)",
                            key->key, key->doc);
        /* Refused whatever its value; only_key is an earlier row, read already. */
        if (item != NULL && key->only_key != NULL &&
            choice_value(table, section, key->only_key) != key->only_value)
            return job_fail(context, item, path, "applies only to %s.%s: %s", table->name,
                            key->only_key,
                            ntk_choice_name(ntk_config_find(table, key->only_key)->choices,
                                            key->only_value));
        if (item != NULL && (key->flags & NTK_KEY_ECHO_IF_GIVEN))
            store_int_at(section + key->given_offset, 1);
        if (item != NULL)
            NTK_TRY(read_value(context, job, key, item, path, section));
        else
            NTK_TRY(apply_default(context, job, key, path, section));
    }
    return binding->rules != NULL ? binding->rules(context, root, node, job) : NTK_OK;
}

ntk_status job_table_read(const job_context *context, const job_node *root, ntk_job *job)
{
    NTK_TRY(job_check_mapping(context, root, "", job_top_level_names()));
    NTK_TRY(job_table_read_section(context, root, &job_top_binding, job, job));
    for (const job_section_binding *binding = job_bindings; binding->section != NULL; ++binding)
        NTK_TRY(job_table_read_section(context, root, binding, job,
                                       job_table_section(binding, job)));
    return NTK_OK;
}
