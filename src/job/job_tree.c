/* The job file's node tree: parsing with libyaml, copies, lookups, key paths
 * and the edits overrides make (see job_tree.h). */
#include "job/job_tree.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

/* Limits on the document, each checked as early as it can be so that no
 * input costs more than linear time before it is refused:
 *   bytes:  before parsing (the file's size); a job is a few kilobytes;
 *   depth:  lists and mappings inside each other, on the parser's events,
 *           before libyaml composes the document (composing a 100k-deep
 *           document costs quadratic time); a job nests four or five deep;
 *   values: scalars, lists and mappings, on the events too (a mapping's
 *           duplicate-key check is linear per key); a job has a few hundred
 *           (256 steps, 8 x 64 sweep values, 128 layers at most).
 * Aliases can make the composed tree deeper or larger than the events say
 * ("billion laughs"): the conversion checks depth and values again. */
static job_tree_limits limits = {.max_bytes = 1L << 20, .max_depth = 64, .max_values = 20000};

void job_tree_set_limits(const job_tree_limits *new_limits)
{
    limits = *new_limits;
}

ntk_status job_fail(const job_context *context, const job_node *node, const char *path,
                    const char *format, ...)
{
    char problem[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(problem, sizeof problem, format, args);
    va_end(args);

    if (context->sweep_label != NULL) {
        /* Checking one sweep value: point at that value, whatever node failed. */
        const job_node *at = context->sweep_node;
        if (strcmp(path, context->sweep_key) == 0)
            return NTK_RAISE(NTK_ERR_JOB, "%s:%d:%d: %s: %s", context->file, at->line,
                             at->column, context->sweep_label, problem);
        return NTK_RAISE(NTK_ERR_JOB, "%s:%d:%d: %s: %s: %s", context->file, at->line,
                         at->column, context->sweep_label, path, problem);
    }
    if (node != NULL && node->origin != NULL) {
        if (path[0] == '\0' || strcmp(path, node->origin) == 0)
            return NTK_RAISE(NTK_ERR_JOB, "--set %s: %s", node->origin, problem);
        return NTK_RAISE(NTK_ERR_JOB, "--set %s: %s: %s", node->origin, path, problem);
    }
    if (node == NULL)
        return NTK_RAISE(NTK_ERR_JOB, "%s: %s%s%s", context->file, path, path[0] ? ": " : "",
                         problem);
    return NTK_RAISE(NTK_ERR_JOB, "%s:%d:%d: %s%s%s", context->file, node->line, node->column,
                     path, path[0] ? ": " : "", problem);
}

void job_path_key(char *buffer, int size, const char *parent, const char *key)
{
    if (parent[0] == '\0')
        snprintf(buffer, (size_t)size, "%s", key);
    else
        snprintf(buffer, (size_t)size, "%s.%s", parent, key);
}

void job_path_index(char *buffer, int size, const char *parent, int index)
{
    snprintf(buffer, (size_t)size, "%s[%d]", parent, index);
}

/* ---- nodes ---- */

static ntk_status node_new(job_node_kind kind, const char *text, size_t length, int line,
                           int column, const char *origin, job_node **out)
{
    *out = NULL;
    job_node *node = NULL;
    NTK_TRY(NTK_CALLOC(node, 1, "a job file node"));
    node->kind = kind;
    node->line = line;
    node->column = column;
    ntk_status status = NTK_OK;
    if (kind == JOB_NODE_SCALAR) {
        status = NTK_CALLOC(node->text, length + 1, "a job file value");
        if (status == NTK_OK)
            memcpy(node->text, text, length);
    }
    if (status == NTK_OK && origin != NULL) {
        status = NTK_CALLOC(node->origin, strlen(origin) + 1, "an override key");
        if (status == NTK_OK)
            strcpy(node->origin, origin);
    }
    if (status != NTK_OK) {
        job_tree_free(node);
        return status;
    }
    *out = node;
    return NTK_OK;
}

/* Append a child (and its key, for mappings); takes ownership of both. */
static ntk_status node_append(job_node *parent, job_node *key, job_node *value)
{
    if (parent->count == parent->capacity) {
        int capacity = parent->capacity ? 2 * parent->capacity : 4;
        job_node **items = realloc(parent->items, sizeof(job_node *) * (size_t)capacity);
        if (items != NULL)
            parent->items = items;
        job_node **keys = items == NULL ? NULL
                          : realloc(parent->keys, sizeof(job_node *) * (size_t)capacity);
        if (keys != NULL)
            parent->keys = keys;
        if (items == NULL || keys == NULL) {
            job_tree_free(key);
            job_tree_free(value);
            return NTK_RAISE(NTK_ERR_MEMORY, "out of memory while reading the job file");
        }
        parent->capacity = capacity;
    }
    parent->keys[parent->count] = key;
    parent->items[parent->count] = value;
    parent->count++;
    return NTK_OK;
}

/* The last step of building one list item (key NULL) or mapping pair: `made`
 * is how making its halves went. Appended when they were made; otherwise
 * whatever half was made is freed and `made` passed on. Either way the caller
 * no longer owns them. */
static ntk_status append_made_pair(job_node *parent, ntk_status made, job_node *key,
                                   job_node *value)
{
    if (made == NTK_OK)
        return node_append(parent, key, value);
    job_tree_free(key);
    job_tree_free(value);
    return made;
}

void job_tree_free(job_node *node)
{
    if (node == NULL)
        return;
    for (int i = 0; i < node->count; ++i) {
        job_tree_free(node->keys[i]);
        job_tree_free(node->items[i]);
    }
    free(node->keys);
    free(node->items);
    free(node->text);
    free(node->origin);
    free(node);
}

ntk_status job_tree_copy(const job_node *node, job_node **copy)
{
    *copy = NULL;
    if (node == NULL)
        return NTK_OK;
    const char *text = node->text ? node->text : "";
    job_node *result = NULL;
    NTK_TRY(node_new(node->kind, text, strlen(text), node->line, node->column, node->origin,
                     &result));
    result->plain = node->plain;
    for (int i = 0; i < node->count; ++i) {
        job_node *key = NULL, *value = NULL;
        ntk_status status = job_tree_copy(node->keys[i], &key);
        if (status == NTK_OK)
            status = job_tree_copy(node->items[i], &value);
        status = append_made_pair(result, status, key, value);
        if (status != NTK_OK) {
            job_tree_free(result);
            return status;
        }
    }
    *copy = result;
    return NTK_OK;
}

int job_node_is_null(const job_node *node)
{
    if (node == NULL)
        return 1;
    if (node->kind != JOB_NODE_SCALAR || !node->plain)
        return 0;
    const char *t = node->text;
    return t[0] == '\0' || strcmp(t, "~") == 0 || strcmp(t, "null") == 0 ||
           strcmp(t, "Null") == 0 || strcmp(t, "NULL") == 0;
}

const char *job_node_describe(const job_node *node, char *buffer, int size)
{
    if (job_node_is_null(node))
        snprintf(buffer, (size_t)size, "nothing (null)");
    else if (node->kind == JOB_NODE_SEQUENCE)
        snprintf(buffer, (size_t)size, "a list");
    else if (node->kind == JOB_NODE_MAPPING)
        snprintf(buffer, (size_t)size, "a mapping");
    else if (strlen(node->text) > 60)
        snprintf(buffer, (size_t)size, "'%.57s...'", node->text);
    else
        snprintf(buffer, (size_t)size, "'%s'", node->text);
    return buffer;
}

job_node *job_node_find(const job_node *mapping, const char *key, job_node **key_node)
{
    if (key_node != NULL)
        *key_node = NULL;
    if (mapping == NULL || mapping->kind != JOB_NODE_MAPPING)
        return NULL;
    for (int i = 0; i < mapping->count; ++i) {
        if (strcmp(mapping->keys[i]->text, key) == 0) {
            if (key_node != NULL)
                *key_node = mapping->keys[i];
            return mapping->items[i];
        }
    }
    return NULL;
}

/* ---- from libyaml's document to the tree ---- */

/* Start offsets (ascending) of the scalars that carry an explicit tag. The
 * document API gives an untagged scalar the tag !!str too, so `!!str 64` and
 * `64` are told apart by a first pass over the parser's events. */
typedef struct {
    size_t *offsets;
    size_t count, capacity;
} tag_marks;

typedef struct {
    const char *file;      /* for messages: the job file, or "--set KEY" */
    int is_override;
    const char *origin;
    yaml_document_t *document;
    long nodes;
    const tag_marks *explicit_tags;
} convert_state;

static ntk_status convert_fail(const convert_state *state, const yaml_node_t *at,
                               const char *path, const char *problem)
{
    if (state->is_override)
        return NTK_RAISE(NTK_ERR_JOB, "--set %s: %s", state->origin, problem);
    return NTK_RAISE(NTK_ERR_JOB, "%s:%lu:%lu: %s%s%s", state->file,
                     (unsigned long)at->start_mark.line + 1,
                     (unsigned long)at->start_mark.column + 1, path, path[0] ? ": " : "",
                     problem);
}

static int has_explicit_tag(const convert_state *state, size_t offset)
{
    const tag_marks *marks = state->explicit_tags;
    size_t low = 0, high = marks ? marks->count : 0;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (marks->offsets[middle] == offset)
            return 1;
        if (marks->offsets[middle] < offset)
            low = middle + 1;
        else
            high = middle;
    }
    return 0;
}

static int text_in(const char *text, const char *const *words)
{
    for (; *words != NULL; ++words)
        if (strcmp(text, *words) == 0)
            return 1;
    return 0;
}

/* YAML 1.2 core-schema integer (decimal) and float spellings. */
static int is_core_int(const char *text)
{
    const char *p = text + (*text == '-' || *text == '+');
    if (*p == '\0')
        return 0;
    for (; *p; ++p)
        if (*p < '0' || *p > '9')
            return 0;
    return 1;
}

static int is_core_float(const char *text)
{
    static const char *const special[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
                                          "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN",
                                          NULL};
    if (text_in(text, special))
        return 1;
    const char *p = text + (*text == '-' || *text == '+');
    int digits = 0;
    while (*p >= '0' && *p <= '9')
        ++p, ++digits;
    if (*p == '.')
        for (++p; *p >= '0' && *p <= '9'; ++p)
            ++digits;
    if (digits == 0)
        return 0;
    if (*p == 'e' || *p == 'E') {
        ++p;
        p += (*p == '-' || *p == '+');
        if (*p < '0' || *p > '9')
            return 0;
        while (*p >= '0' && *p <= '9')
            ++p;
    }
    return *p == '\0';
}

/* Honour the core-schema tags (see job_tree.h): !!str makes a scalar text
 * even when it reads like a number; !!int, !!float, !!bool and !!null make a
 * quoted scalar that spells such a value count as one (and refuse one that
 * does not); !!seq and !!map must match the node. Any other tag is refused.
 * `node` is the converted scalar (NULL for lists and mappings). */
static ntk_status apply_tag(const convert_state *state, yaml_node_t *source, const char *path,
                            job_node *node)
{
    const char *tag = source->tag ? (const char *)source->tag : "";
    const char *core = strncmp(tag, "tag:yaml.org,2002:", 18) == 0 ? tag + 18 : NULL;
    char shown[256]; /* the tag as written: !!binary, not tag:yaml.org,2002:binary */
    snprintf(shown, sizeof shown, "%s%.200s", core ? "!!" : "", core ? core : tag);
    char problem[512];
    if (source->type == YAML_SEQUENCE_NODE || source->type == YAML_MAPPING_NODE) {
        const char *wanted = source->type == YAML_SEQUENCE_NODE ? "seq" : "map";
        if (core != NULL && strcmp(core, wanted) == 0)
            return NTK_OK;
        snprintf(problem, sizeof problem, "YAML tag '%s' does not fit a %s (ntkgram "
                 "honours only the core-schema tags !!str, !!int, !!float, !!bool, !!null, "
                 "!!seq and !!map)", shown, source->type == YAML_SEQUENCE_NODE ? "list" : "mapping");
        return convert_fail(state, source, path, problem);
    }
    const int explicit_tag = has_explicit_tag(state, source->start_mark.index);
    if (core != NULL && strcmp(core, "str") == 0) {
        if (explicit_tag)
            node->plain = 0;
        return NTK_OK;
    }
    static const char *const bools[] = {"true", "True", "TRUE", "false", "False", "FALSE", NULL};
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    int fits = -1; /* -1: not a tag this reader knows */
    if (core != NULL && strcmp(core, "int") == 0)
        fits = is_core_int(node->text);
    else if (core != NULL && strcmp(core, "float") == 0)
        fits = is_core_float(node->text);
    else if (core != NULL && strcmp(core, "bool") == 0)
        fits = text_in(node->text, bools);
    else if (core != NULL && strcmp(core, "null") == 0)
        fits = text_in(node->text, nulls);
    if (fits == 1) {
        node->plain = 1; /* the tag says it is a value, not text */
        if (strcmp(core, "null") == 0)
            node->text[0] = '\0';
        return NTK_OK;
    }
    if (fits == 0)
        snprintf(problem, sizeof problem, "'%.100s' is not a valid !!%s value", node->text, core);
    else
        snprintf(problem, sizeof problem, "unsupported YAML tag '%s' (ntkgram honours only "
                 "the core-schema tags !!str, !!int, !!float, !!bool, !!null, !!seq and !!map)",
                 shown);
    return convert_fail(state, source, path, problem);
}

static ntk_status convert_node(convert_state *state, yaml_node_t *source, const char *path,
                               int depth, job_node **out)
{
    *out = NULL;
    /* The event pass (scan_events) held the document as written to the
     * limits: only aliases can pass them here. */
    if (depth > limits.max_depth) {
        char problem[160];
        snprintf(problem, sizeof problem,
                 "aliases (*name) nest the document deeper than %d levels of lists and mappings",
                 limits.max_depth);
        return convert_fail(state, source, path, problem);
    }
    if (++state->nodes > limits.max_values) {
        char problem[160];
        snprintf(problem, sizeof problem,
                 "aliases (*name) expand the document to more than %ld values", limits.max_values);
        return convert_fail(state, source, path, problem);
    }
    int line = (int)source->start_mark.line + 1, column = (int)source->start_mark.column + 1;
    job_node *node = NULL;
    switch (source->type) {
    case YAML_SCALAR_NODE: {
        NTK_TRY(node_new(JOB_NODE_SCALAR, (const char *)source->data.scalar.value,
                         source->data.scalar.length, line, column, state->origin, &node));
        node->plain = source->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ||
                      source->data.scalar.style == YAML_ANY_SCALAR_STYLE;
        if (strlen(node->text) != source->data.scalar.length) {
            job_tree_free(node);
            return convert_fail(state, source, path, "a value contains a NUL character");
        }
        ntk_status tagged = apply_tag(state, source, path, node);
        if (tagged != NTK_OK) {
            job_tree_free(node);
            return tagged;
        }
        break;
    }
    case YAML_SEQUENCE_NODE: {
        NTK_TRY(apply_tag(state, source, path, NULL));
        NTK_TRY(node_new(JOB_NODE_SEQUENCE, NULL, 0, line, column, state->origin, &node));
        int index = 0;
        for (yaml_node_item_t *item = source->data.sequence.items.start;
             item < source->data.sequence.items.top; ++item, ++index) {
            char child_path[JOB_PATH_TEXT_MAX];
            job_path_index(child_path, sizeof child_path, path, index);
            job_node *child = NULL;
            ntk_status status = convert_node(state, yaml_document_get_node(state->document, *item),
                                             child_path, depth + 1, &child);
            status = append_made_pair(node, status, NULL, child);
            if (status != NTK_OK) {
                job_tree_free(node);
                return status;
            }
        }
        break;
    }
    case YAML_MAPPING_NODE: {
        NTK_TRY(apply_tag(state, source, path, NULL));
        NTK_TRY(node_new(JOB_NODE_MAPPING, NULL, 0, line, column, state->origin, &node));
        for (yaml_node_pair_t *pair = source->data.mapping.pairs.start;
             pair < source->data.mapping.pairs.top; ++pair) {
            yaml_node_t *key_source = yaml_document_get_node(state->document, pair->key);
            ntk_status status = NTK_OK;
            if (key_source->type != YAML_SCALAR_NODE)
                status = convert_fail(state, key_source, path,
                                      "a key must be plain text, not a list or mapping");
            job_node *key = NULL, *value = NULL;
            if (status == NTK_OK)
                status = convert_node(state, key_source, path, depth + 1, &key);
            char child_path[JOB_PATH_TEXT_MAX];
            if (status == NTK_OK) {
                job_path_key(child_path, sizeof child_path, path, key->text);
                job_node *first = NULL;
                job_node_find(node, key->text, &first);
                if (first != NULL) {
                    char problem[256];
                    snprintf(problem, sizeof problem, "duplicate key '%.100s' (first at line %d)",
                             key->text, first->line);
                    status = convert_fail(state, key_source, child_path, problem);
                }
            }
            if (status == NTK_OK)
                status = convert_node(state, yaml_document_get_node(state->document, pair->value),
                                      child_path, depth + 1, &value);
            status = append_made_pair(node, status, key, value);
            if (status != NTK_OK) {
                job_tree_free(node);
                return status;
            }
        }
        break;
    }
    default:
        return convert_fail(state, source, path, "unsupported YAML node");
    }
    *out = node;
    return NTK_OK;
}

static ntk_status syntax_error(const yaml_parser_t *parser, const convert_state *state)
{
    char problem[512];
    if (parser->error == YAML_MEMORY_ERROR)
        return NTK_RAISE(NTK_ERR_MEMORY, "out of memory while parsing %s", state->file);
    if (parser->error == YAML_READER_ERROR) {
        snprintf(problem, sizeof problem, "%s at byte %lu",
                 parser->problem ? parser->problem : "cannot read the text",
                 (unsigned long)parser->problem_offset);
        if (state->is_override)
            return NTK_RAISE(NTK_ERR_JOB, "--set %s: YAML syntax error in the value: %s",
                             state->origin, problem);
        return NTK_RAISE(NTK_ERR_JOB, "%s: YAML syntax error: %s", state->file, problem);
    }
    snprintf(problem, sizeof problem, "%s%s%s%s", parser->problem ? parser->problem : "malformed",
             parser->context ? " (" : "", parser->context ? parser->context : "",
             parser->context ? ")" : "");
    if (state->is_override)
        return NTK_RAISE(NTK_ERR_JOB, "--set %s: YAML syntax error in the value: %s",
                         state->origin, problem);
    return NTK_RAISE(NTK_ERR_JOB, "%s:%lu:%lu: YAML syntax error: %s", state->file,
                     (unsigned long)parser->problem_mark.line + 1,
                     (unsigned long)parser->problem_mark.column + 1, problem);
}

/* A limit passed at an event of the first pass. */
static ntk_status limit_fail(const convert_state *state, const yaml_mark_t *at, const char *problem)
{
    if (state->is_override)
        return NTK_RAISE(NTK_ERR_JOB, "--set %s: %s", state->origin, problem);
    return NTK_RAISE(NTK_ERR_JOB, "%s:%lu:%lu: %s", state->file, (unsigned long)at->line + 1,
                     (unsigned long)at->column + 1, problem);
}

/* The first pass over the parser's events: holds the document to the depth
 * and value limits before anything is composed (stopping at the first event
 * past one, so a huge document costs no more than the limit), and fills
 * `marks` (see tag_marks). A syntax error ends it quietly: the document pass
 * that follows reports it with its position. */
static ntk_status scan_events(yaml_parser_t *parser, const convert_state *state, tag_marks *marks)
{
    int depth = 0;
    long values = 0;
    for (;;) {
        yaml_event_t event;
        if (!yaml_parser_parse(parser, &event))
            return NTK_OK;
        const int done = event.type == YAML_STREAM_END_EVENT;
        const yaml_mark_t at = event.start_mark;
        char problem[256] = "";
        switch (event.type) {
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if (++depth > limits.max_depth)
                snprintf(problem, sizeof problem,
                         "the document nests deeper than %d levels of lists and mappings "
                         "(a job needs four or five)", limits.max_depth);
            /* A list or mapping is a value too. */
            __attribute__((fallthrough));
        case YAML_SCALAR_EVENT:
        case YAML_ALIAS_EVENT:
            if (problem[0] == '\0' && ++values > limits.max_values)
                snprintf(problem, sizeof problem,
                         "the document holds more than %ld values (keys, list items and "
                         "scalars; a job needs a few hundred)", limits.max_values);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            --depth;
            break;
        default:
            break;
        }
        if (problem[0] == '\0' && event.type == YAML_SCALAR_EVENT && event.data.scalar.tag != NULL) {
            if (marks->count == marks->capacity) {
                size_t capacity = marks->capacity ? 2 * marks->capacity : 16;
                size_t *offsets = realloc(marks->offsets, capacity * sizeof *offsets);
                if (offsets == NULL) {
                    yaml_event_delete(&event);
                    return NTK_RAISE(NTK_ERR_MEMORY, "out of memory reading the YAML tags of %s",
                                     state->file);
                }
                marks->offsets = offsets;
                marks->capacity = capacity;
            }
            marks->offsets[marks->count++] = event.start_mark.index;
        }
        yaml_event_delete(&event);
        if (problem[0] != '\0')
            return limit_fail(state, &at, problem);
        if (done)
            return NTK_OK;
    }
}

/* The byte limit, before any parsing: `length` bytes of `text` (the first
 * max_bytes + 1 of them at most) are the document. The message names the
 * line and column where the limit falls. */
static ntk_status check_size(const convert_state *state, const char *text, size_t length,
                             long long total)
{
    if (total <= limits.max_bytes)
        return NTK_OK;
    char problem[256];
    snprintf(problem, sizeof problem,
             "the %s is %lld bytes, more than the %ld bytes a job may hold (the limit falls "
             "here; a job needs a few kilobytes)", state->is_override ? "value" : "job file",
             total, limits.max_bytes);
    yaml_mark_t at = {0, 0, 0};
    for (size_t i = 0; i < length && i < (size_t)limits.max_bytes; ++i) {
        if (text[i] == '\n') {
            ++at.line;
            at.column = 0;
        } else {
            ++at.column;
        }
    }
    return limit_fail(state, &at, problem);
}

/* Parse one document from an initialised parser into a tree. */
static ntk_status parse_document(yaml_parser_t *parser, convert_state *state, job_node **root)
{
    *root = NULL;
    yaml_document_t document;
    if (!yaml_parser_load(parser, &document))
        return syntax_error(parser, state);
    ntk_status status = NTK_OK;
    yaml_node_t *top = yaml_document_get_root_node(&document);
    if (top != NULL) {
        state->document = &document;
        status = convert_node(state, top, "", 0, root);
    }
    yaml_document_delete(&document);
    if (status != NTK_OK || top == NULL)
        return status;

    /* A second document would be silently ignored: refuse it. */
    yaml_document_t extra;
    if (!yaml_parser_load(parser, &extra)) {
        job_tree_free(*root);
        *root = NULL;
        return syntax_error(parser, state);
    }
    yaml_node_t *extra_top = yaml_document_get_root_node(&extra);
    if (extra_top != NULL) {
        status = convert_fail(state, extra_top, "",
                              "a job file holds one YAML document; found a second one");
        job_tree_free(*root);
        *root = NULL;
    }
    yaml_document_delete(&extra);
    return status;
}

ntk_status job_file_open(const char *path, ntk_status code, FILE **file)
{
    *file = NULL;
    struct stat info;
    if (stat(path, &info) != 0)
        return NTK_RAISE(code, "%s: cannot read job file: %s", path, strerror(errno));
    /* fopen succeeds on a folder; reading it would fail later, less clearly. */
    if (S_ISDIR(info.st_mode))
        return NTK_RAISE(code, "%s: cannot read job file: %s", path, strerror(EISDIR));
    *file = fopen(path, "rb");
    if (*file == NULL)
        return NTK_RAISE(code, "%s: cannot read job file: %s", path, strerror(errno));
    return NTK_OK;
}

/* The byte limit on a job file: its size from fstat, and where the limit
 * falls from reading just that far. */
static ntk_status check_file_size(const convert_state *state, FILE *file)
{
    struct stat info;
    if (fstat(fileno(file), &info) != 0)
        return NTK_RAISE(NTK_ERR_JOB, "%s: cannot read job file: %s", state->file,
                         strerror(errno));
    if ((long long)info.st_size <= limits.max_bytes)
        return NTK_OK;
    char *head = malloc((size_t)limits.max_bytes + 1);
    if (head == NULL)
        return NTK_RAISE(NTK_ERR_MEMORY, "out of memory reading %s", state->file);
    const size_t got = fread(head, 1, (size_t)limits.max_bytes, file);
    ntk_status status = check_size(state, head, got, (long long)info.st_size);
    free(head);
    return status;
}

ntk_status job_tree_read_file(const char *path, job_node **root)
{
    *root = NULL;
    FILE *file = NULL;
    NTK_TRY(job_file_open(path, NTK_ERR_JOB, &file));
    convert_state state = {.file = path, .is_override = 0, .origin = NULL};
    ntk_status status = check_file_size(&state, file);
    if (status != NTK_OK) {
        fclose(file);
        return status;
    }
    /* Two passes over the file: limits and explicit tags, then the document. */
    tag_marks marks = {0};
    state.explicit_tags = &marks;
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        fclose(file);
        return NTK_RAISE(NTK_ERR_MEMORY, "out of memory initialising the YAML parser");
    }
    yaml_parser_set_input_file(&parser, file);
    status = scan_events(&parser, &state, &marks);
    yaml_parser_delete(&parser);
    if (status == NTK_OK && fseek(file, 0, SEEK_SET) != 0)
        status = NTK_RAISE(NTK_ERR_JOB, "%s: cannot read job file: %s", path, strerror(errno));
    if (status == NTK_OK && !yaml_parser_initialize(&parser))
        status = NTK_RAISE(NTK_ERR_MEMORY, "out of memory initialising the YAML parser");
    if (status == NTK_OK) {
        yaml_parser_set_input_file(&parser, file);
        status = parse_document(&parser, &state, root);
        yaml_parser_delete(&parser);
    }
    free(marks.offsets);
    fclose(file);
    return status;
}

void job_tree_place(job_node *node, int line, int column)
{
    if (node == NULL)
        return;
    free(node->origin);
    node->origin = NULL;
    node->line = line;
    node->column = column;
    for (int i = 0; i < node->count; ++i) {
        if (node->keys != NULL)
            job_tree_place(node->keys[i], line, column);
        job_tree_place(node->items[i], line, column);
    }
}

ntk_status job_tree_parse_text(const char *text, const char *origin, job_node **root)
{
    *root = NULL;
    tag_marks marks = {0};
    convert_state state = {.file = "--set", .is_override = 1, .origin = origin,
                           .explicit_tags = &marks};
    const size_t length = strlen(text);
    NTK_TRY(check_size(&state, text, length, (long long)length));
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return NTK_RAISE(NTK_ERR_MEMORY, "out of memory initialising the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, length);
    ntk_status status = scan_events(&parser, &state, &marks);
    yaml_parser_delete(&parser);
    if (status == NTK_OK && !yaml_parser_initialize(&parser))
        status = NTK_RAISE(NTK_ERR_MEMORY, "out of memory initialising the YAML parser");
    if (status == NTK_OK) {
        yaml_parser_set_input_string(&parser, (const unsigned char *)text, length);
        status = parse_document(&parser, &state, root);
        yaml_parser_delete(&parser);
    }
    free(marks.offsets);
    if (status == NTK_OK && *root == NULL)
        status = node_new(JOB_NODE_SCALAR, "", 0, 0, 0, origin, root);
    if (status == NTK_OK && (*root)->kind == JOB_NODE_SCALAR && (*root)->text[0] == '\0')
        (*root)->plain = 1; /* "key=" means null */
    return status;
}

/* ---- key paths and overrides ---- */

int job_key_path_parse(const char *text, job_key_path *path)
{
    memset(path, 0, sizeof *path);
    const char *p = text;
    for (;;) {
        if (path->count == JOB_PATH_MAX_SEGMENTS)
            return 0;
        /* A name. */
        const char *start = p;
        while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
               *p == '_' || *p == '-')
            ++p;
        size_t length = (size_t)(p - start);
        if (length == 0 || length >= JOB_PATH_NAME_MAX)
            return 0;
        memcpy(path->segment[path->count].name, start, length);
        path->count++;
        /* Any number of [index]. */
        while (*p == '[') {
            ++p;
            if (*p < '0' || *p > '9' || path->count == JOB_PATH_MAX_SEGMENTS)
                return 0;
            long index = 0;
            while (*p >= '0' && *p <= '9') {
                index = index * 10 + (*p - '0');
                if (index > 1000000)
                    return 0;
                ++p;
            }
            if (*p != ']')
                return 0;
            ++p;
            path->segment[path->count].is_index = 1;
            path->segment[path->count].index = index;
            path->count++;
        }
        if (*p == '\0')
            return 1;
        if (*p != '.')
            return 0;
        ++p;
    }
}

/* Turn a null scalar into an empty mapping in place (`output:` then --set output.theta). */
static void make_empty_mapping(job_node *node)
{
    node->kind = JOB_NODE_MAPPING;
    free(node->text);
    node->text = NULL;
    node->plain = 0;
}

ntk_status job_tree_set(const job_context *context, job_node *root, const char *key,
                        job_node *value)
{
    job_key_path path;
    if (!job_key_path_parse(key, &path)) {
        ntk_status status = job_fail(context, value, key,
                                     "not a key path (expected names separated by dots, with "
                                     "[index] for list items, e.g. model.layers[0].dense)");
        job_tree_free(value);
        return status;
    }
    job_node *current = root;
    char walked[JOB_PATH_TEXT_MAX] = "";
    for (int s = 0; s < path.count; ++s) {
        int last = (s == path.count - 1);
        char here[JOB_PATH_TEXT_MAX];
        char description[96];
        if (!path.segment[s].is_index) {
            const char *name = path.segment[s].name;
            job_path_key(here, sizeof here, walked, name);
            if (job_node_is_null(current) && current->kind == JOB_NODE_SCALAR)
                make_empty_mapping(current);
            if (current->kind != JOB_NODE_MAPPING) {
                ntk_status status = job_fail(context, value, key, "'%s' holds %s, not a mapping",
                                             walked[0] ? walked : "the job",
                                             job_node_describe(current, description,
                                                               sizeof description));
                job_tree_free(value);
                return status;
            }
            job_node *key_node = NULL;
            job_node *child = job_node_find(current, name, &key_node);
            if (child != NULL) {
                if (last) {
                    for (int i = 0; i < current->count; ++i)
                        if (current->items[i] == child) {
                            job_tree_free(child);
                            current->items[i] = value;
                        }
                    return NTK_OK;
                }
                current = child;
            } else {
                /* A new key: validation later says whether the job knows it. */
                job_node *new_key = NULL, *new_value = value;
                ntk_status status = node_new(JOB_NODE_SCALAR, name, strlen(name), value->line,
                                             value->column, value->origin, &new_key);
                if (status == NTK_OK && !last)
                    status = node_new(JOB_NODE_MAPPING, NULL, 0, value->line, value->column,
                                      value->origin, &new_value);
                if (status == NTK_OK) {
                    if (new_key != NULL)
                        new_key->plain = 1;
                    status = node_append(current, new_key, new_value);
                    new_key = NULL;
                }
                if (status != NTK_OK) {
                    job_tree_free(new_key);
                    if (new_value != value)
                        job_tree_free(value);
                    return status;
                }
                if (last)
                    return NTK_OK;
                current = new_value;
                if (path.segment[s + 1].is_index) {
                    ntk_status fail = job_fail(context, value, key,
                                               "'%s' is not in the job, so it has no list items",
                                               here);
                    job_tree_free(value);
                    return fail;
                }
            }
        } else {
            long index = path.segment[s].index;
            job_path_index(here, sizeof here, walked, (int)index);
            if (current->kind != JOB_NODE_SEQUENCE) {
                ntk_status status = job_fail(context, value, key, "'%s' holds %s, not a list",
                                             walked, job_node_describe(current, description,
                                                                       sizeof description));
                job_tree_free(value);
                return status;
            }
            if (index >= current->count) {
                ntk_status status = job_fail(context, value, key,
                                             "index %ld is out of range ('%s' has %d item%s)",
                                             index, walked, current->count,
                                             current->count == 1 ? "" : "s");
                job_tree_free(value);
                return status;
            }
            if (last) {
                job_tree_free(current->items[index]);
                current->items[index] = value;
                return NTK_OK;
            }
            current = current->items[index];
        }
        snprintf(walked, sizeof walked, "%s", here);
    }
    job_tree_free(value);
    return NTK_OK;
}
