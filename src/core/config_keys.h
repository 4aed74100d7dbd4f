/* Declarative configuration: each module describes its section's keys in one
 * table (key, type, default, bounds or choices, one-line doc, and where the
 * value is stored) next to the section struct it fills
 * (<module>/<module>_config.h). The job reader (src/job/job_table.c) walks the
 * tables: it reads, checks, defaults, echoes and hashes every key from its
 * row; `ntkgram help keys` and docs/keys.md print them.
 *
 * Modules include this header and their own config header, never the job
 * reader's headers: the reader sits above the modules.
 *
 * A row, e.g. (model/model_keys.c)
 *
 *     {"w_std", NTK_KEY_NUMBER, "1.0", NTK_KEY_ABOVE, 0, 0, NULL,
 *      "weight standard deviation sigma_w", NTK_FIELD(ntk_model_spec, w_std),
 *      .flags = NTK_KEY_HASH},
 *
 * key, type, default_text, bounds, minimum, maximum, choices, doc, then
 * designated fields:
 *   NTK_FIELD(struct, member)   where the value goes in the section's struct;
 *                               the member's size picks the storage (below).
 *                               NTK_NO_FIELD: the job reader reads the key by
 *                               hand (only `sweep`).
 *   .flags                      NTK_KEY_HASH (part of the job hash), ...
 *   .note                       CHOICE: the noun of "unknown NOUN 'x'"
 *                               (default "value"); INT: a hint after the
 *                               requirement, "an integer >= 0 (0 = all)".
 *   .only_key, .only_value      the key applies only when the section's CHOICE
 *                               key only_key (an earlier row) has the value
 *                               only_value: refused otherwise, whatever its
 *                               value, and echoed only then.
 * Storage by type (the size of the member; tests/job checks every row):
 *   INT       int or int64_t (uint64_t read as >= 0); `choices` may name
 *             special values ("auto" = -1), accepted and echoed as names
 *   NUMBER, DURATION  double;   BOOL  int;   CHOICE  an int-sized enum
 *   STRING, PATH      char[N];  STEPS int64_t[N] with the count in an int:
 *                     NTK_FIELD_PAIR(struct, steps, n_steps)
 *   SHAPE     two ints, NTK_FIELD_PAIR(struct, rows, cols); `choices` name
 *             the special values stored in both ("auto" = 0)
 *   SOURCE, TARGETS   ntk_data_source;  LAYERS  the ntk_model_spec's layers
 * Defaults: default_text is parsed like a job value; "none" is zero (empty
 * text, kind none), "required" makes the key required (and its section);
 * the path of another key ("dynamics.steps") copies that key's value, read
 * earlier; NTK_KEY_DEFAULT_BY_RULE leaves the default to the section's rule
 * (src/job/job_rules.c) and default_text only describes it.
 * Bounds (NTK_KEY_ABOVE, ...) are checked on INT and NUMBER with the
 * messages "must be a positive integer", "an integer from 2 to 256", "a
 * number > 0", "must be below 1".
 * Rules that tie keys together (x needs y) stay hand-written in
 * src/job/job_rules.c.
 *
 * Adding a key: add the member to the section struct, one row here, and
 * regenerate docs/keys.md (docs/configuration.md walks through it). */
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
    NTK_KEY_SOURCE,    /* input points: a .npy/.csv path or a {synthetic: ...} mapping */
    NTK_KEY_LAYERS,    /* the layer list (model/layer.h) */
    NTK_KEY_SECTION,   /* a mapping of its own keys (a section that is switched on by its presence) */
    NTK_KEY_TARGETS    /* targets: a .npy/.csv path or a {synthetic: ...} mapping; null: none */
} ntk_key_type;

/* Row flags. */
enum {
    NTK_KEY_HASH = 1,            /* part of the job hash (what determines Theta) */
    NTK_KEY_HASH_VALUE = 2,      /* a hashed CHOICE hashed by its enum value, not its name */
    NTK_KEY_ECHO_IF_SET = 4,     /* echoed only when not zero (an empty path, 0) */
    NTK_KEY_BESIDE_JOB = 8,      /* a PATH relative to the job file's folder: echoed
                                  * absolute, hashed by the file it names */
    NTK_KEY_DEFAULT_BY_RULE = 16, /* the default is set by the section's rule */
    NTK_KEY_ECHO_IF_GIVEN = 32    /* the int member at .given_offset is set to 1 when the
                                   * key is in the job, and the echo shows the key only
                                   * then (a default that depends on more than the job) */
};

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
    size_t offset, size;             /* NTK_FIELD: the member; size 0: not stored */
    size_t offset2;                  /* NTK_FIELD_PAIR: the count (STEPS, SIZES) or cols (SHAPE) */
    int flags;                       /* NTK_KEY_HASH, ... */
    const char *note;                /* see above */
    const char *only_key;            /* see above */
    int only_value;
    size_t given_offset;             /* NTK_KEY_ECHO_IF_GIVEN: an int of the section struct */
} ntk_config_key;

#define NTK_MEMBER_SIZE(type, member) sizeof(((type *)0)->member)
#define NTK_FIELD(type, member)                                                                  \
    .offset = offsetof(type, member), .size = NTK_MEMBER_SIZE(type, member)
#define NTK_FIELD_PAIR(type, member, second)                                                     \
    NTK_FIELD(type, member), .offset2 = offsetof(type, second)
#define NTK_NO_FIELD .size = 0
/* A numeric macro as a default_text: NTK_DEFAULT_TEXT(NTK_DEFAULT_BLOCK) is "64". */
#define NTK_DEFAULT_TEXT(macro) NTK_DEFAULT_TEXT_(macro)
#define NTK_DEFAULT_TEXT_(macro) #macro

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
