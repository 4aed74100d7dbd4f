/* Declarative configuration: each module describes its section's keys in one
 * table (key, type, default, bounds or choices, one-line doc) next to the
 * section struct it fills (<module>/<module>_config.h). The job reader walks
 * the tables; `ntkgram help keys` and docs/keys.md print them.
 *
 * Modules include this header and their own config header, never the job
 * reader's headers: the reader sits above the modules. */
#ifndef NTK_CORE_CONFIG_KEYS_H
#define NTK_CORE_CONFIG_KEYS_H

#include <stddef.h>
#include <stdio.h>

/* One accepted name of an enum-valued key and the value it stands for.
 * Entries are in the order messages list them ("expected auto, pdsyevd,
 * ..."), which need not be the order of the enum values. */
typedef struct {
    const char *name;
    int value;
} ntk_choice;

typedef struct {
    const ntk_choice *entries;
    int count;
} ntk_choice_table;

#define NTK_CHOICE_TABLE(entries) {(entries), (int)(sizeof(entries) / sizeof((entries)[0]))}

/* The name of `value` in `table`, or "unknown" when it has none. */
const char *ntk_choice_name(const ntk_choice_table *table, int value);

typedef enum {
    NTK_KEY_INT = 0,   /* an integer within [minimum, maximum] */
    NTK_KEY_NUMBER,    /* a finite double within its bounds */
    NTK_KEY_BOOL,      /* true or false */
    NTK_KEY_CHOICE,    /* one of `choices` */
    NTK_KEY_STRING,    /* text */
    NTK_KEY_PATH,      /* a file or folder path */
    NTK_KEY_DURATION,  /* seconds, or a number with the unit s, m, h or d */
    NTK_KEY_STEPS,     /* a list of step counts >= 0 */
    NTK_KEY_SIZES,     /* a list of sizes >= 1 */
    NTK_KEY_SHAPE,     /* `auto` or [rows, cols] */
    NTK_KEY_SOURCE,    /* a .npy/.csv path or a {synthetic: ...} mapping */
    NTK_KEY_LAYERS,    /* the layer list (model/layer.h) */
    NTK_KEY_SECTION    /* a mapping of its own keys (a section that is switched on by its presence) */
} ntk_key_type;

/* Bounds of a number or integer key. */
enum {
    NTK_KEY_NO_BOUND = 0,
    NTK_KEY_ABOVE = 1,    /* > minimum */
    NTK_KEY_AT_LEAST = 2, /* >= minimum */
    NTK_KEY_BELOW = 4,    /* < maximum */
    NTK_KEY_AT_MOST = 8   /* <= maximum */
};

typedef struct {
    const char *key;                 /* within its section: "w_std" */
    ntk_key_type type;
    const char *default_text;        /* as a job would write it; "required" or "none" in words */
    int bounds;                      /* NTK_KEY_* flags */
    double minimum, maximum;
    const ntk_choice_table *choices; /* CHOICE */
    const char *doc;                 /* one line */
} ntk_config_key;

typedef struct {
    const char *name;                /* "model" */
    const char *doc;                 /* one line */
    const ntk_config_key *keys;
    int n_keys;
} ntk_config_section;

#define NTK_CONFIG_SECTION(name, doc, keys)                                                      \
    {(name), (doc), (keys), (int)(sizeof(keys) / sizeof((keys)[0]))}

/* The key's type in words: "integer >= 1", "number > 0", "one of auto,
 * pdsyevd, ...". Returns `buffer`. */
const char *ntk_config_key_type_text(const ntk_config_key *key, char *buffer, size_t size);

/* The key named `name` in `section`, or NULL. */
const ntk_config_key *ntk_config_find(const ntk_config_section *section, const char *name);

/* The closest of `names` (NULL-terminated) to `typed` when it is close enough
 * to be a typo (edit distance at most 2, or 1 for short names), else NULL. */
const char *ntk_config_suggest(const char *typed, const char *const *names);

#endif
