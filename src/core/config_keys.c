/* Helpers of the declarative key tables (see config_keys.h). */
#include "core/config_keys.h"

#include <string.h>

const char *ntk_choice_name(const ntk_choice_table *table, int value)
{
    for (int i = 0; i < table->count; ++i)
        if (table->entries[i].value == value)
            return table->entries[i].name;
    return "unknown";
}

static const char *type_word(ntk_key_type type)
{
    switch (type) {
    case NTK_KEY_INT: return "integer";
    case NTK_KEY_NUMBER: return "number";
    case NTK_KEY_BOOL: return "true or false";
    case NTK_KEY_CHOICE: return "one of";
    case NTK_KEY_STRING: return "text";
    case NTK_KEY_PATH: return "path";
    case NTK_KEY_DURATION: return "duration (90s, 10m, 2h, 1d or seconds)";
    case NTK_KEY_STEPS: return "list of integers >= 0";
    case NTK_KEY_SIZES: return "list of integers >= 1";
    case NTK_KEY_SHAPE: return "auto or [rows, cols]";
    case NTK_KEY_SOURCE:
    case NTK_KEY_TARGETS: return ".npy/.csv path or {synthetic: ...}";
    case NTK_KEY_LAYERS: return "list of layers";
    case NTK_KEY_SECTION: return "mapping";
    }
    return "value";
}

const char *ntk_config_key_type_text(const ntk_config_key *key, char *buffer, size_t size)
{
    size_t used = (size_t)snprintf(buffer, size, "%s", type_word(key->type));
    if (key->type == NTK_KEY_CHOICE && key->choices != NULL) {
        for (int i = 0; i < key->choices->count && used < size; ++i)
            used += (size_t)snprintf(buffer + used, size - used, "%s%s", i ? ", " : " ",
                                     key->choices->entries[i].name);
        return buffer;
    }
    if (key->bounds & (NTK_KEY_ABOVE | NTK_KEY_AT_LEAST) && used < size)
        used += (size_t)snprintf(buffer + used, size - used, " %s %.17g",
                                 key->bounds & NTK_KEY_ABOVE ? ">" : ">=", key->minimum);
    if (key->bounds & (NTK_KEY_BELOW | NTK_KEY_AT_MOST) && used < size)
        used += (size_t)snprintf(buffer + used, size - used, "%s %s %.17g",
                                 key->bounds & (NTK_KEY_ABOVE | NTK_KEY_AT_LEAST) ? " and" : "",
                                 key->bounds & NTK_KEY_BELOW ? "<" : "<=", key->maximum);
    /* Named special values of an integer or shape ("auto", "assembly"). */
    for (int i = 0; key->choices != NULL && i < key->choices->count && used < size; ++i)
        used += (size_t)snprintf(buffer + used, size - used, "%s%s", i ? ", " : ", or ",
                                 key->choices->entries[i].name);
    return buffer;
}

const ntk_config_key *ntk_config_find(const ntk_config_section *section, const char *name)
{
    for (int i = 0; i < section->n_keys; ++i)
        if (strcmp(section->keys[i].key, name) == 0)
            return &section->keys[i];
    return NULL;
}

/* Optimal string alignment distance (edits, with adjacent swaps counting
 * one), capped: names are short, so two rows of a small table suffice. */
static int edit_distance(const char *a, const char *b)
{
    enum { LONGEST = 64 };
    const size_t n = strlen(a), m = strlen(b);
    if (n >= LONGEST || m >= LONGEST)
        return LONGEST;
    int row[3][LONGEST + 1]; /* rows i - 2, i - 1, i (mod 3) */
    for (size_t j = 0; j <= m; ++j)
        row[0][j] = (int)j;
    for (size_t i = 1; i <= n; ++i) {
        int *here = row[i % 3], *up = row[(i + 2) % 3], *up2 = row[(i + 1) % 3];
        here[0] = (int)i;
        for (size_t j = 1; j <= m; ++j) {
            const int cost = a[i - 1] != b[j - 1];
            int best = up[j] + 1;
            if (here[j - 1] + 1 < best)
                best = here[j - 1] + 1;
            if (up[j - 1] + cost < best)
                best = up[j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                up2[j - 2] + 1 < best)
                best = up2[j - 2] + 1;
            here[j] = best;
        }
    }
    return row[n % 3][m];
}

const char *ntk_config_suggest(const char *typed, const char *const *names)
{
    const char *best = NULL;
    int best_distance = 0;
    for (; *names != NULL; ++names) {
        const int distance = edit_distance(typed, *names);
        if (best == NULL || distance < best_distance) {
            best = *names;
            best_distance = distance;
        }
    }
    const int allowed = strlen(typed) <= 4 ? 1 : 2;
    return best != NULL && best_distance <= allowed ? best : NULL;
}
