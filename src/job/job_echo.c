/* The effective job written back as YAML (for summary.yaml), the job hash
 * that ties checkpoints to the Theta they hold, and names for messages. */
/* realpath() is an XSI function. */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif
#include "job/job.h"
#include "core/yaml_number.h"
#include "core/config_keys.h"
#include "job/job_read.h"
#include "job/job_table.h"
#include "model/branch.h"
#include "model/model.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *bool_name(int value) { return value ? "true" : "false"; }

/* The shortest decimal text that reads back to exactly `value`, as a YAML
 * float every reader loads as a float ("1.0e-10", never "1e-10"). */
static void format_number(double value, char *buffer, size_t size)
{
    ntk_yaml_format_double(buffer, size, value, 0);
}

void job_write_yaml_string(FILE *out, const char *text)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)text; *p; ++p) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p == '\t')
            fputs("\\t", out);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(out, "\\x%02x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

/* Relative paths were resolved against the job file's folder; written
 * absolute, the echo names the same files from wherever it is read. */
static void write_path(FILE *out, const char *path)
{
    char absolute[NTK_PATH_MAX * 2];
    char cwd[NTK_PATH_MAX];
    if (path[0] != '/' && getcwd(cwd, sizeof cwd) != NULL) {
        snprintf(absolute, sizeof absolute, "%s/%s", cwd, path);
        job_write_yaml_string(out, absolute);
    } else {
        job_write_yaml_string(out, path);
    }
}

static void line_start(FILE *out, int indent, int level)
{
    fprintf(out, "%*s", indent + 2 * level, "");
}

/* One line of the echo at nesting `level`. */
static void key_line(FILE *out, int indent, int level, const char *format, ...)
    __attribute__((format(printf, 4, 5)));
static void key_line(FILE *out, int indent, int level, const char *format, ...)
{
    line_start(out, indent, level);
    va_list args;
    va_start(args, format);
    vfprintf(out, format, args);
    va_end(args);
}

/* A source after its "key:", at nesting level 1. */
static void write_source(FILE *out, int indent, const ntk_data_source *source)
{
    if (source->kind != NTK_SOURCE_SYNTHETIC) {
        fputc(' ', out);
        write_path(out, source->path);
        fputc('\n', out);
        return;
    }
    const char *synthetic = ntk_choice_name(&data_synthetic_names, (int)source->synthetic);
    fputc('\n', out);
    key_line(out, indent, 2, "synthetic: %s\n", synthetic);
    if (source->synthetic != NTK_SYNTH_SINE && source->n > 0) {
        key_line(out, indent, 2, "n: %" PRId64 "\n", source->n);
        key_line(out, indent, 2, "dim: %" PRId64 "\n", source->dim);
        if (source->shape_rank > 0) {
            key_line(out, indent, 2, "shape: [");
            for (int d = 0; d < source->shape_rank; ++d)
                fprintf(out, "%s%" PRId64, d ? ", " : "", source->shape[d]);
            fputs("]\n", out);
        }
    }
    key_line(out, indent, 2, "seed: %" PRIu64 "\n", source->seed);
}

/* One option's value as YAML (model/layer.h, ntk_layer_option). */
static int option_text(const ntk_layer_option *option, const int64_t *values, char *buffer,
                       size_t size)
{
    const int64_t *slot = &values[option->slot];
    if (option->kind == NTK_OPTION_REAL) {
        char number[64];
        format_number(ntk_option_real(values, option->slot), number, sizeof number);
        return snprintf(buffer, size, "%s", number);
    }
    if (option->kind == NTK_OPTION_BOOL)
        return snprintf(buffer, size, "%s", ntk_option_bool(option, values) ? "true" : "false");
    if (option->kind == NTK_OPTION_CHOICE_OR_PAIR) {
        if (slot[0] < ntk_option_choice_count(option))
            return snprintf(buffer, size, "%s", option->choices[slot[0]]);
        ++slot; /* the pair */
        if (slot[0] != slot[1])
            return snprintf(buffer, size, "[%" PRId64 ", %" PRId64 "]", slot[0], slot[1]);
        return snprintf(buffer, size, "%" PRId64, slot[0]);
    }
    if (option->kind == NTK_OPTION_CHOICE)
        return snprintf(buffer, size, "%s", option->choices[slot[0]]);
    if (option->kind == NTK_OPTION_PAIR && slot[0] != slot[1])
        return snprintf(buffer, size, "[%" PRId64 ", %" PRId64 "]", slot[0], slot[1]);
    return snprintf(buffer, size, "%" PRId64, slot[0]);
}

/* A layer as written in model.layers: "relu", "{dense: 256}", or
 * "{conv: {channels: 8, kernel: 3, ...}}" for a type with several options.
 * Quiet options at their default are left out, and so is every option of a
 * bare type when all are at their defaults ("leaky_relu"). */
static const char *layer_text(const ntk_layer_spec *layer, char *buffer, size_t size)
{
    const ntk_layer_ops *ops = layer->ops;
    int shown[NTK_LAYER_MAX_OPTIONS], n_shown = 0, all_default = 1;
    for (int o = 0; o < ops->n_options; ++o) {
        const int is_default = ntk_layer_option_is_default(ops, o, layer->option);
        all_default &= is_default;
        if (!(ops->options[o].quiet && is_default))
            shown[n_shown++] = o;
    }
    if (layer->name[0] != '\0') {
        /* Named: always the mapping, the name last. */
        size_t used = (size_t)snprintf(buffer, size, "{%s: {", ops->name);
        for (int i = 0; i < n_shown && used < size; ++i) {
            const int o = shown[i];
            used += (size_t)snprintf(buffer + used, size - used, "%s: ", ops->options[o].key);
            if (used < size)
                used += (size_t)option_text(&ops->options[o], layer->option, buffer + used,
                                            size - used);
            if (used < size)
                used += (size_t)snprintf(buffer + used, size - used, ", ");
        }
        if (used < size)
            snprintf(buffer + used, size - used, "name: '%s'}}", layer->name);
    } else if (n_shown == 0 || (ops->bare && all_default)) {
        snprintf(buffer, size, "%s", ops->name);
    } else if (n_shown == 1 && shown[0] == 0) {
        size_t used = (size_t)snprintf(buffer, size, "{%s: ", ops->name);
        if (used < size)
            used += (size_t)option_text(&ops->options[0], layer->option, buffer + used, size - used);
        if (used < size)
            snprintf(buffer + used, size - used, "}");
    } else {
        size_t used = (size_t)snprintf(buffer, size, "{%s: {", ops->name);
        for (int i = 0; i < n_shown && used < size; ++i) {
            const int o = shown[i];
            used += (size_t)snprintf(buffer + used, size - used, "%s%s: ", i ? ", " : "",
                                     ops->options[o].key);
            if (used < size)
                used += (size_t)option_text(&ops->options[o], layer->option, buffer + used,
                                            size - used);
        }
        if (used < size)
            snprintf(buffer + used, size - used, "}}");
    }
    return buffer;
}

/* The layers from list[*i] to the end of the branch they are in (a branch
 * layer of the enclosing block, or the list's end), blocks written back
 * nested as the job wrote them (model/branch.h): "{dense: 8}, relu, ..." */
static void write_layer_items(FILE *out, const ntk_layer_spec *list, int count, int *i)
{
    int first = 1;
    while (*i < count) {
        const ntk_layer_spec *layer = &list[*i];
        if (layer->ops->branch == NTK_BRANCH_NEXT || layer->ops->branch == NTK_BRANCH_JOIN)
            return;
        fputs(first ? "" : ", ", out);
        first = 0;
        ++*i;
        if (layer->ops->branch != NTK_BRANCH_FORK) {
            char text[512];
            fputs(layer_text(layer, text, sizeof text), out);
            continue;
        }
        const int residual = layer->option[0] == NTK_BLOCK_RESIDUAL;
        fputs(residual ? "{residual: {body: [" : "{parallel: {branches: [[", out);
        write_layer_items(out, list, count, i);
        while (*i < count && list[*i].ops->branch == NTK_BRANCH_NEXT) {
            ++*i;
            if (residual && *i < count && list[*i].ops->branch == NTK_BRANCH_JOIN)
                break; /* the identity shortcut */
            fputs(residual ? "], shortcut: [" : "], [", out);
            write_layer_items(out, list, count, i);
        }
        if (*i < count) { /* the join */
            if (residual)
                fputs("]}}", out);
            else
                fprintf(out, "]], merge: %s}}",
                        list[*i].option[0] == NTK_MERGE_CONCAT ? "concat" : "sum");
            ++*i;
        }
    }
}

static void write_layers(FILE *out, const ntk_model_spec *model)
{
    ntk_layer_spec list[NTK_MAX_LAYERS];
    int count = 0, i = 0;
    model_spec_layers(model, list, &count);
    fputs(" [", out);
    write_layer_items(out, list, count, &i);
    fputs("]\n", out);
}

/* A layer's line of the hash: its text, or a branch layer's role (the
 * structure of its block), which no layer type's text can be. */
static const char *hashed_layer_text(const ntk_layer_spec *layer, char *buffer, size_t size)
{
    switch (layer->ops->branch) {
    case NTK_BRANCH_FORK:
        snprintf(buffer, size, "{%s: %d branches", layer->option[0] == NTK_BLOCK_RESIDUAL
                 ? "residual" : "parallel", (int)layer->option[1]);
        return buffer;
    case NTK_BRANCH_NEXT:
        return "next branch";
    case NTK_BRANCH_JOIN:
        snprintf(buffer, size, "merge %s}", layer->option[0] == NTK_MERGE_CONCAT ? "concat" : "sum");
        return buffer;
    default:
        return layer_text(layer, buffer, size);
    }
}

static int int_at(const void *field)
{
    int value = 0;
    memcpy(&value, field, sizeof value);
    return value;
}

static double double_at(const void *field)
{
    double value = 0;
    memcpy(&value, field, sizeof value);
    return value;
}

/* The name `value` has among a row's special values, or NULL. */
static const char *special_name(const ntk_config_key *key, int64_t value)
{
    for (int i = 0; key->choices != NULL && i < key->choices->count; ++i)
        if (key->choices->entries[i].value == value)
            return key->choices->entries[i].name;
    return NULL;
}

/* A row's value after its "key:" (a space and the value, or nested lines),
 * at nesting level 1. */
static void write_value(FILE *out, int indent, const ntk_config_key *key, const char *section)
{
    const void *field = section + key->offset;
    const char *name = NULL;
    char number[64];
    switch (key->type) {
    case NTK_KEY_INT:
        name = special_name(key, job_table_int(key, field));
        if (name != NULL)
            fprintf(out, " %s\n", name);
        else
            fprintf(out, " %" PRId64 "\n", job_table_int(key, field));
        return;
    case NTK_KEY_NUMBER:
    case NTK_KEY_DURATION:
        name = double_at(field) == (double)(int64_t)double_at(field)
                   ? special_name(key, (int64_t)double_at(field))
                   : NULL;
        if (name != NULL) { /* predict.jitter: auto */
            fprintf(out, " %s\n", name);
            return;
        }
        format_number(double_at(field), number, sizeof number);
        fprintf(out, " %s\n", number);
        return;
    case NTK_KEY_BOOL:
        fprintf(out, " %s\n", bool_name(int_at(field)));
        return;
    case NTK_KEY_CHOICE:
        fprintf(out, " %s\n", ntk_choice_name(key->choices, int_at(field)));
        return;
    case NTK_KEY_STRING:
    case NTK_KEY_PATH:
        fputc(' ', out);
        if (key->flags & NTK_KEY_BESIDE_JOB)
            write_path(out, field);
        else
            job_write_yaml_string(out, field);
        fputc('\n', out);
        return;
    case NTK_KEY_STEPS:
        fputs(" [", out);
        for (int i = 0; i < int_at(section + key->offset2); ++i)
            fprintf(out, "%s%" PRId64, i ? ", " : "", ((const int64_t *)field)[i]);
        fputs("]\n", out);
        return;
    case NTK_KEY_SIZES:
        fputs(" [", out);
        for (int i = 0; i < int_at(section + key->offset2); ++i)
            fprintf(out, "%s%" PRId64, i ? ", " : "", ((const int64_t *)field)[i]);
        fputs("]\n", out);
        return;
    case NTK_KEY_SHAPE: {
        const int rows = int_at(field), cols = int_at(section + key->offset2);
        name = rows == cols ? special_name(key, rows) : NULL;
        if (name != NULL)
            fprintf(out, " %s\n", name);
        else
            fprintf(out, " [%d, %d]\n", rows, cols);
        return;
    }
    case NTK_KEY_SOURCE:
    case NTK_KEY_TARGETS:
        write_source(out, indent, field);
        return;
    case NTK_KEY_LAYERS:
        write_layers(out, (const ntk_model_spec *)section);
        return;
    case NTK_KEY_SECTION:
        break;
    }
    fputs(" null\n", out);
}

/* The keys of one section that are shown (job_table_shown), in its table's order. */
static void write_rows(FILE *out, int indent, int level, const ntk_config_section *table,
                       const char *section)
{
    for (int k = 0; k < table->n_keys; ++k) {
        const ntk_config_key *key = &table->keys[k];
        if (key->size == 0 || !job_table_shown(table, key, section))
            continue;
        if ((key->type == NTK_KEY_SOURCE || key->type == NTK_KEY_TARGETS) &&
            ((const ntk_data_source *)(section + key->offset))->kind == NTK_SOURCE_NONE)
            continue;
        key_line(out, indent, level, "%s:", key->key);
        write_value(out, indent, key, section);
    }
}

static void write_sections(const ntk_job *job, FILE *out, int indent)
{
    for (const job_section_binding *binding = job_bindings; binding->section != NULL;
         ++binding) {
        if (binding->enabled_offset != JOB_ALWAYS_ON &&
            !int_at((const char *)job_table_section(binding, job) + binding->enabled_offset))
            continue;
        job_echo_section(out, indent, binding, job_table_section(binding, job));
    }
}

void job_echo_section(FILE *out, int indent, const job_section_binding *binding,
                      const void *section_struct)
{
    key_line(out, indent, 0, "%s:\n", binding->section->name);
    write_rows(out, indent, 1, binding->section, section_struct);
}

/* A plain number written as the job wrote it, in the form YAML 1.1 readers
 * also load as a number: "1e-3" -> "1.0e-3", "1.5E3" -> "1.5E+3" (a '.' in
 * the mantissa, a signed exponent). The digits stay, so the value is the
 * same double; any other text is returned as it is. */
static const char *yaml11_number(const char *text, char *buffer, size_t size)
{
    double value = 0;
    const char *exponent = strpbrk(text, "eE");
    if (exponent == NULL || !job_text_to_number(text, &value))
        return text;
    const int has_point = memchr(text, '.', (size_t)(exponent - text)) != NULL;
    const int has_sign = exponent[1] == '+' || exponent[1] == '-';
    snprintf(buffer, size, "%.*s%s%c%s%s", (int)(exponent - text), text, has_point ? "" : ".0",
             exponent[0], has_sign ? "" : "+", exponent + 1);
    return buffer;
}

void job_echo_yaml(const ntk_job *job, FILE *out, int indent)
{
    write_rows(out, indent, 0, job_top_binding.section, (const char *)job);
    write_sections(job, out, indent);
    if (job->sweep.n_keys > 0) {
        key_line(out, indent, 0, "sweep:\n");
        for (int k = 0; k < job->sweep.n_keys; ++k) {
            const int zipped = job->sweep.zipped[k];
            /* a zip's keys are consecutive: its mapping starts with the first */
            if (zipped && (k == 0 || !job->sweep.zipped[k - 1]))
                key_line(out, indent, 1, "zip:\n");
            line_start(out, indent, zipped ? 2 : 1);
            job_write_yaml_string(out, job->sweep.key[k]);
            fputs(": [", out);
            /* The stored texts are YAML scalars already (quoted when they were). */
            for (int v = 0; v < job->sweep.n_values[k]; ++v) {
                char number[NTK_SWEEP_VALUE_MAX + 8];
                fprintf(out, "%s%s", v ? ", " : "",
                        yaml11_number(job->sweep.value[k][v], number, sizeof number));
            }
            fputs("]\n", out);
        }
    }
}

ntk_status job_echo_text(const ntk_job *job, int indent, char **text)
{
    size_t length = 0;
    *text = NULL;
    FILE *out = open_memstream(text, &length);
    if (out == NULL)
        return NTK_RAISE(NTK_ERR_MEMORY, "cannot hold the job echo: %s", strerror(errno));
    job_echo_yaml(job, out, indent);
    if (ferror(out) != 0 || fclose(out) != 0) {
        free(*text);
        *text = NULL;
        return NTK_RAISE(NTK_ERR_MEMORY, "cannot hold the job echo");
    }
    return NTK_OK;
}

/* ---- hash ---- */

typedef struct {
    uint64_t state;
} fnv_hash;

static void hash_text(fnv_hash *hash, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void hash_text(fnv_hash *hash, const char *format, ...)
{
    char text[NTK_PATH_MAX + 256];
    va_list args;
    va_start(args, format);
    vsnprintf(text, sizeof text, format, args);
    va_end(args);
    for (const unsigned char *p = (const unsigned char *)text; *p; ++p) {
        hash->state ^= *p;
        hash->state *= UINT64_C(0x100000001b3);
    }
    hash->state ^= '\n';
    hash->state *= UINT64_C(0x100000001b3);
}

/* A file by its real path, size and modification time: a changed data file
 * makes a different Theta, and the same file reached from another working
 * directory does not. */
static void hash_file(fnv_hash *hash, const char *label, const char *path)
{
    char *real = realpath(path, NULL);
    struct stat info;
    if (real != NULL && stat(real, &info) == 0)
        hash_text(hash, "%s %s %lld %lld.%09ld", label, real, (long long)info.st_size,
                  (long long)info.st_mtim.tv_sec, (long)info.st_mtim.tv_nsec);
    else
        hash_text(hash, "%s %s missing", label, path);
    free(real);
}

/* A hashed source: synthetic parameters, or the file it names. */
static void hash_source(fnv_hash *hash, const char *label, const ntk_data_source *source)
{
    if (source->kind == NTK_SOURCE_SYNTHETIC)
        hash_text(hash, "%s synthetic %d %" PRId64 " %" PRId64 " %" PRIu64, label,
                  (int)source->synthetic, source->n, source->dim, source->seed);
    if (source->kind == NTK_SOURCE_SYNTHETIC && source->shape_rank > 0)
        hash_text(hash, "%s shape %d %" PRId64 " %" PRId64 " %" PRId64, label,
                  source->shape_rank, source->shape[0], source->shape[1], source->shape[2]);
    else
        hash_file(hash, source->kind == NTK_SOURCE_CSV ? "inputs csv" : "inputs npy",
                  source->path);
}

/* A hashed row's word on its section's line ("kernel empirical auto ..."),
 * or 0 when it has none (its lines are hash_lines'). */
static int hash_word(const ntk_config_key *key, const char *section, char *word, size_t size)
{
    const void *field = section + key->offset;
    switch (key->type) {
    case NTK_KEY_INT:
        return snprintf(word, size, "%" PRId64, job_table_int(key, field)) > 0;
    case NTK_KEY_NUMBER:
    case NTK_KEY_DURATION:
        return snprintf(word, size, "%.17g", double_at(field)) > 0;
    case NTK_KEY_BOOL:
        return snprintf(word, size, "%s", bool_name(int_at(field))) > 0;
    case NTK_KEY_CHOICE:
        if (key->flags & NTK_KEY_HASH_VALUE)
            return snprintf(word, size, "%d", int_at(field)) > 0;
        return snprintf(word, size, "%s", ntk_choice_name(key->choices, int_at(field))) > 0;
    case NTK_KEY_SHAPE:
        return snprintf(word, size, "%d %d", int_at(field), int_at(section + key->offset2)) > 0;
    case NTK_KEY_LAYERS: {
        ntk_layer_spec list[NTK_MAX_LAYERS];
        int count = 0;
        model_spec_layers((const ntk_model_spec *)section, list, &count);
        return snprintf(word, size, "%d", count) > 0;
    }
    case NTK_KEY_STRING:
    case NTK_KEY_PATH:
        return !(key->flags & NTK_KEY_BESIDE_JOB) && snprintf(word, size, "%s", (const char *)field) > 0;
    default:
        return 0;
    }
}

/* A hashed row's own lines: the layers, a file beside the job, a source. */
static void hash_lines(fnv_hash *hash, const ntk_config_key *key, const char *section)
{
    const void *field = section + key->offset;
    if (key->type == NTK_KEY_LAYERS) {
        ntk_layer_spec list[NTK_MAX_LAYERS];
        int count = 0;
        model_spec_layers((const ntk_model_spec *)section, list, &count);
        for (int i = 0; i < count; ++i) {
            char text[512];
            hash_text(hash, "layer %s", hashed_layer_text(&list[i], text, sizeof text));
        }
    } else if (key->type == NTK_KEY_PATH && (key->flags & NTK_KEY_BESIDE_JOB) &&
               ((const char *)field)[0] != '\0') {
        hash_file(hash, key->key, field);
    } else if (key->type == NTK_KEY_SOURCE || key->type == NTK_KEY_TARGETS) {
        if (((const ntk_data_source *)field)->kind != NTK_SOURCE_NONE)
            hash_source(hash, key->key, field);
    }
}

/* Each section with hashed rows: one line of its name and their words,
 * then their own lines. The rows flagged NTK_KEY_HASH are what determines
 * Theta (data, model, kernel, grid); the text is what version 2 of the hash
 * has always read, so checkpoints and sweep folders of earlier runs keep
 * their hash. */
uint64_t job_hash(const ntk_job *job)
{
    fnv_hash hash = {UINT64_C(0xcbf29ce484222325)};
    hash_text(&hash, "ntkgram job hash v2");
    for (const job_section_binding *binding = job_bindings; binding->section != NULL;
         ++binding) {
        const ntk_config_section *table = binding->section;
        const char *section = job_table_section(binding, job);
        char line[NTK_PATH_MAX + 256];
        size_t used = (size_t)snprintf(line, sizeof line, "%s", table->name);
        int words = 0;
        for (int k = 0; k < table->n_keys; ++k) {
            char word[NTK_PATH_MAX];
            if ((table->keys[k].flags & NTK_KEY_HASH) && used < sizeof line &&
                hash_word(&table->keys[k], section, word, sizeof word)) {
                used += (size_t)snprintf(line + used, sizeof line - used, " %s", word);
                ++words;
            }
        }
        if (words > 0)
            hash_text(&hash, "%s", line);
        for (int k = 0; k < table->n_keys; ++k)
            if (table->keys[k].flags & NTK_KEY_HASH)
                hash_lines(&hash, &table->keys[k], section);
    }
    /* kernel.precision changes Theta's bits, but a float64 job hashes as it
     * always has (kernel_keys.c). */
    if (job->kernel.precision != NTK_PRECISION_FLOAT64)
        hash_text(&hash, "kernel precision %s",
                  ntk_choice_name(&kernel_precision_names, (int)job->kernel.precision));
    return hash.state;
}
