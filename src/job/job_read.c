/* Typed reading of job file values (see job_read.h). */
#include "job/job_read.h"

#include "core/config_keys.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int job_text_to_number(const char *text, double *value)
{
    if (text[0] == '\0' || isspace((unsigned char)text[0]))
        return 0;
    /* strtod also reads hex floats, "inf" and "nan": none is a job number. */
    for (const char *p = text; *p; ++p)
        if (!(isdigit((unsigned char)*p) || *p == '.' || *p == 'e' || *p == 'E' || *p == '+' ||
              *p == '-'))
            return 0;
    char *end = NULL;
    errno = 0;
    double parsed = strtod(text, &end);
    /* strtod reports ERANGE for subnormal results too ("1e-320"): those are
     * the numbers written, to the precision doubles hold there. Only a text
     * that rounds to zero or overflows is out of range. */
    if (end == text || *end != '\0' || !isfinite(parsed) || (errno == ERANGE && parsed == 0))
        return 0;
    *value = parsed;
    return 1;
}

const char *job_text_number_out_of_range(const char *text)
{
    for (const char *p = text; *p; ++p)
        if (!(isdigit((unsigned char)*p) || *p == '.' || *p == 'e' || *p == 'E' || *p == '+' ||
              *p == '-'))
            return NULL;
    char *end = NULL;
    errno = 0;
    double parsed = strtod(text, &end);
    if (end == text || *end != '\0' || errno != ERANGE)
        return NULL;
    if (parsed == 0)
        return "is too small for a double: it rounds to 0 (the smallest positive double is "
               "4.9e-324)";
    if (isinf(parsed))
        return "is too large for a double (the largest is 1.8e+308)";
    return NULL;
}

int job_text_to_int(const char *text, int64_t *value)
{
    if (text[0] == '\0' || isspace((unsigned char)text[0]))
        return 0;
    char *end = NULL;
    errno = 0;
    long long parsed = strtoll(text, &end, 10);
    if (end != text && *end == '\0' && errno == 0) {
        *value = (int64_t)parsed;
        return 1;
    }
    /* 1e6 or 256.0 name integers too, as long as they are integral. */
    double number = 0;
    if (!job_text_to_number(text, &number) || number != floor(number) ||
        fabs(number) >= 9.2e18)
        return 0;
    *value = (int64_t)number;
    return 1;
}

int job_text_to_bool(const char *text, int *value)
{
    if (strcmp(text, "true") == 0 || strcmp(text, "True") == 0 || strcmp(text, "TRUE") == 0) {
        *value = 1;
        return 1;
    }
    if (strcmp(text, "false") == 0 || strcmp(text, "False") == 0 || strcmp(text, "FALSE") == 0) {
        *value = 0;
        return 1;
    }
    return 0;
}

int job_text_to_duration(const char *text, double *seconds)
{
    double total = 0;
    const char *p = text;
    int parts = 0;
    while (*p != '\0') {
        /* Digits with at most one point: no sign, no exponent ("1e3" is not a duration). */
        char digits[64];
        size_t length = 0;
        int points = 0;
        while ((isdigit((unsigned char)p[length]) || p[length] == '.') && length + 1 < sizeof digits) {
            points += p[length] == '.';
            digits[length] = p[length];
            ++length;
        }
        digits[length] = '\0';
        if (length == 0 || points > 1 || strcmp(digits, ".") == 0)
            return 0;
        double amount = strtod(digits, NULL);
        const char *end = p + length;
        p = end;
        double scale = 0;
        switch (*p) {
        case '\0': scale = 1; break;
        case 's': scale = 1; ++p; break;
        case 'm': scale = 60; ++p; break;
        case 'h': scale = 3600; ++p; break;
        case 'd': scale = 86400; ++p; break;
        default: return 0;
        }
        /* A bare number is only allowed alone ("90", not "1h30"). */
        if (end[0] == '\0' && parts > 0)
            return 0;
        total += amount * scale;
        ++parts;
    }
    if (parts == 0 || !isfinite(total))
        return 0;
    *seconds = total;
    return 1;
}

/* Why a node is not the scalar we want: "got a list", "got 'abc'". A quoted
 * scalar that would be a number or bool unquoted gets a hint. */
static const char *got(const job_node *node, char *buffer, int size)
{
    char description[96];
    double number = 0;
    job_node_describe(node, description, sizeof description);
    if (node != NULL && node->kind == JOB_NODE_SCALAR && node->plain &&
        job_text_to_number(node->text, &number))
        snprintf(buffer, (size_t)size, "%s", node->text); /* "got -3", not "got '-3'" */
    else if (node != NULL && node->kind == JOB_NODE_SCALAR && !node->plain)
        snprintf(buffer, (size_t)size, "%s (quoted, so a string)", description);
    else
        snprintf(buffer, (size_t)size, "%s", description);
    return buffer;
}

static int plain_scalar(const job_node *node)
{
    return node != NULL && node->kind == JOB_NODE_SCALAR && node->plain && !job_node_is_null(node);
}

ntk_status job_read_int(const job_context *context, const job_node *node, const char *path,
                        const char *noun, const char *requirement, int64_t minimum,
                        int64_t maximum, int64_t *value)
{
    char description[160];
    int64_t parsed = 0;
    if (!plain_scalar(node) || !job_text_to_int(node->text, &parsed) || parsed < minimum ||
        parsed > maximum)
        return job_fail(context, node, path, "%s%smust be %s, got %s", noun ? noun : "",
                        noun ? " " : "", requirement, got(node, description, sizeof description));
    *value = parsed;
    return NTK_OK;
}

ntk_status job_read_bounded_number(const job_context *context, const job_node *node,
                                   const char *path, int bounds, double minimum, double maximum,
                                   const char *note, double *value)
{
    char description[160], lower[64] = "", hint[160] = "";
    double parsed = 0;
    const char *out_of_range = plain_scalar(node) ? job_text_number_out_of_range(node->text) : NULL;
    if (out_of_range != NULL)
        return job_fail(context, node, path, "%s %s", node->text, out_of_range);
    if (bounds & (NTK_KEY_ABOVE | NTK_KEY_AT_LEAST))
        snprintf(lower, sizeof lower, " %s %g", bounds & NTK_KEY_ABOVE ? ">" : ">=", minimum);
    if (note != NULL)
        snprintf(hint, sizeof hint, " (%s)", note);
    const int number = plain_scalar(node) && job_text_to_number(node->text, &parsed);
    if (!number || (bounds & NTK_KEY_ABOVE && !(parsed > minimum)) ||
        (bounds & NTK_KEY_AT_LEAST && !(parsed >= minimum)))
        return job_fail(context, node, path, "must be a number%s, got %s", lower,
                        got(node, description, sizeof description));
    if ((bounds & NTK_KEY_BELOW && !(parsed < maximum)) ||
        (bounds & NTK_KEY_AT_MOST && !(parsed <= maximum)))
        return job_fail(context, node, path, "must be %s %g%s, got %s",
                        bounds & NTK_KEY_BELOW ? "below" : "at most", maximum, hint,
                        got(node, description, sizeof description));
    *value = parsed;
    return NTK_OK;
}

ntk_status job_read_bool(const job_context *context, const job_node *node, const char *path,
                         int *value)
{
    char description[160];
    if (!plain_scalar(node) || !job_text_to_bool(node->text, value))
        return job_fail(context, node, path, "must be true or false, got %s",
                        got(node, description, sizeof description));
    return NTK_OK;
}

ntk_status job_check_list(const job_context *context, const job_node *node, const char *path,
                          const char *what)
{
    if (node->kind == JOB_NODE_SEQUENCE && node->count > 0)
        return NTK_OK;
    char description[96];
    return job_fail(context, node, path, "must be a non-empty list%s, got %s", what,
                    node->kind == JOB_NODE_SEQUENCE
                        ? "an empty list"
                        : job_node_describe(node, description, sizeof description));
}

ntk_status job_read_string(const job_context *context, const job_node *node, const char *path,
                           char *buffer, int size)
{
    char description[160];
    if (node == NULL || node->kind != JOB_NODE_SCALAR || job_node_is_null(node) ||
        node->text[0] == '\0')
        return job_fail(context, node, path, "must be a non-empty string, got %s",
                        got(node, description, sizeof description));
    if ((int)strlen(node->text) >= size)
        return job_fail(context, node, path, "is too long (%zu characters, at most %d)",
                        strlen(node->text), size - 1);
    snprintf(buffer, (size_t)size, "%s", node->text);
    return NTK_OK;
}

ntk_status job_read_choice(const job_context *context, const job_node *node, const char *path,
                           const char *noun, const char *const *names, int n, int *value)
{
    if (node != NULL && node->kind == JOB_NODE_SCALAR) {
        for (int i = 0; i < n; ++i) {
            if (strcmp(node->text, names[i]) == 0) {
                *value = i;
                return NTK_OK;
            }
        }
    }
    char expected[256] = "";
    for (int i = 0; i < n; ++i) {
        size_t used = strlen(expected);
        snprintf(expected + used, sizeof expected - used, "%s%s", i ? ", " : "", names[i]);
    }
    char description[160];
    if (node != NULL && node->kind == JOB_NODE_SCALAR && !job_node_is_null(node))
        return job_fail(context, node, path, "unknown %s '%s' (expected %s)", noun, node->text,
                        expected);
    return job_fail(context, node, path, "must be one of %s, got %s", expected,
                    got(node, description, sizeof description));
}

ntk_status job_read_duration(const job_context *context, const job_node *node, const char *path,
                             double *seconds)
{
    char description[160];
    if (!plain_scalar(node) || !job_text_to_duration(node->text, seconds))
        return job_fail(context, node, path,
                        "must be a duration such as 90s, 10m, 2h or a number of seconds >= 0, "
                        "got %s",
                        got(node, description, sizeof description));
    return NTK_OK;
}

ntk_status job_check_mapping(const job_context *context, const job_node *node, const char *path,
                             const char *const *allowed)
{
    if (job_node_is_null(node))
        return NTK_OK;
    char description[160];
    if (node->kind != JOB_NODE_MAPPING)
        return job_fail(context, node, path, "must be a mapping of keys, got %s",
                        got(node, description, sizeof description));
    for (int i = 0; i < node->count; ++i) {
        const char *key = node->keys[i]->text;
        int known = 0;
        for (const char *const *name = allowed; *name != NULL; ++name)
            known |= strcmp(key, *name) == 0;
        if (known)
            continue;
        char expected[512] = "";
        for (const char *const *name = allowed; *name != NULL; ++name) {
            size_t used = strlen(expected);
            snprintf(expected + used, sizeof expected - used, "%s%s",
                     name == allowed ? "" : ", ", *name);
        }
        char key_path[JOB_PATH_TEXT_MAX];
        job_path_key(key_path, sizeof key_path, path, key);
        const char *suggestion = ntk_config_suggest(key, allowed);
        if (suggestion != NULL)
            return job_fail(context, node->keys[i], key_path,
                            "unknown key '%s' (expected one of %s); did you mean '%s'?", key,
                            expected, suggestion);
        return job_fail(context, node->keys[i], key_path,
                        "unknown key '%s' (expected one of %s)", key, expected);
    }
    return NTK_OK;
}

ntk_status job_read_enum(const job_context *context, const job_node *node, const char *path,
                         const char *noun, const ntk_choice_table *table, unsigned allowed,
                         int *value)
{
    enum { MAX_NAMES = 16 };
    const char *names[MAX_NAMES];
    int values[MAX_NAMES], n = 0;
    for (int i = 0; i < table->count && n < MAX_NAMES; ++i) {
        int entry_value = table->entries[i].value;
        if (entry_value >= 0 && entry_value < 32 && (allowed & (1u << entry_value)) == 0)
            continue;
        names[n] = table->entries[i].name;
        values[n++] = entry_value;
    }
    int choice = 0;
    NTK_TRY(job_read_choice(context, node, path, noun, names, n, &choice));
    *value = values[choice];
    return NTK_OK;
}
