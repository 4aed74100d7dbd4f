/* The job file as a tree of YAML nodes that remember where they stood.
 *
 * libyaml's document API parses the text; this module copies it into a small
 * tree (scalars, lists, mappings) where every node keeps its 1-based line and
 * column, so validation can name file:line:column long after libyaml is gone.
 * Nodes put in by an override remember the override's key instead ("origin").
 * YAML tags: the core-schema tags are honoured (`!!str 64` is the text "64",
 * `!!int "64"` the number 64; !!float, !!bool, !!null alike, a value that does
 * not fit its tag is an error; !!seq and !!map must match the node); any
 * other tag is refused with file:line:column.
 * The tree is also what overrides edit: job_tree_set() walks a key path such as
 * model.layers[0].dense and replaces or creates the node it names.
 *
 * Internal to src/job/.
 */
#ifndef NTK_JOB_JOB_TREE_H
#define NTK_JOB_JOB_TREE_H

#include "core/status.h"

typedef enum { JOB_NODE_SCALAR = 0, JOB_NODE_SEQUENCE, JOB_NODE_MAPPING } job_node_kind;

typedef struct job_node job_node;
struct job_node {
    job_node_kind kind;
    char *text;          /* scalar text (never NULL for scalars) */
    int plain;           /* scalar written without quotes: may be a bool, number or null */
    int line, column;    /* 1-based position in the job file */
    char *origin;        /* override key that put this node here; NULL = the job file */
    int count, capacity;
    job_node **keys;     /* mapping: key scalars; parallel to items */
    job_node **items;    /* mapping: values; sequence: items */
};

/* Where errors point: the job file, or one override / sweep value. */
typedef struct {
    const char *file;           /* the job file as given */
    const char *sweep_label;    /* set while checking one sweep value, e.g. "sweep.model.seed[1]" */
    const char *sweep_key;      /* that value's key path, e.g. "model.seed" */
    const job_node *sweep_node; /* that value in the job file */
} job_context;

/* Raise NTK_ERR_JOB as "<where>: <path>: <problem>" for `node` (see job_tree.c
 * for how file positions, --set and sweep values are named). */
ntk_status job_fail(const job_context *context, const job_node *node, const char *path,
                    const char *format, ...) __attribute__((format(printf, 4, 5)));

/* The limits every document is held to (job_tree.c says why each is
 * checked where it is). Each has its own message naming the file, line and
 * column where it is passed. */
typedef struct {
    long max_bytes;  /* the file (or override value) */
    int max_depth;   /* lists and mappings inside each other */
    long max_values; /* scalars, lists and mappings, aliases expanded */
} job_tree_limits;

/* Replace the limits for the rest of the process: for the fuzz target, so
 * that small inputs reach every limit. Not thread-safe; not for the program. */
void job_tree_set_limits(const job_tree_limits *limits);

/* Read and parse the job file. `*root` is NULL for an empty file. */
ntk_status job_tree_read_file(const char *path, job_node **root);

/* Parse YAML text given as an override value; an empty text is a null scalar.
 * Every node gets `origin`. */
/* Give `node` and everything under it the job file position (line, column)
 * in place of an override origin: for a sweep value applied as an override. */
void job_tree_place(job_node *node, int line, int column);

ntk_status job_tree_parse_text(const char *text, const char *origin, job_node **root);

void job_tree_free(job_node *node);
ntk_status job_tree_copy(const job_node *node, job_node **copy);

/* Scalar helpers. */
int job_node_is_null(const job_node *node);    /* plain ~, null, Null, NULL or empty */
const char *job_node_describe(const job_node *node, char *buffer, int size); /* "'abc'", "a list", ... */

/* The value under `key` in a mapping, or NULL. `key_node` (optional) gets the key. */
job_node *job_node_find(const job_node *mapping, const char *key, job_node **key_node);

/* Child key paths for messages: "model" + "seed" -> "model.seed", "model.layers" + 2 ->
 * "model.layers[2]" (an empty parent gives just the key). */
void job_path_key(char *buffer, int size, const char *parent, const char *key);
void job_path_index(char *buffer, int size, const char *parent, int index);
enum { JOB_PATH_TEXT_MAX = 512 };

/* A key path: names separated by dots, [index] for list items. */
enum { JOB_PATH_MAX_SEGMENTS = 32, JOB_PATH_NAME_MAX = 128 };
typedef struct {
    int count;
    struct {
        int is_index;
        long index;
        char name[JOB_PATH_NAME_MAX];
    } segment[JOB_PATH_MAX_SEGMENTS];
} job_key_path;

/* 1 when `text` is a well-formed key path (filled into `path`), else 0. */
int job_key_path_parse(const char *text, job_key_path *path);

/* Put `value` (owned by the tree afterwards, also on failure) at `key` in the
 * mapping `root`, replacing what is there. Missing mapping keys on the way
 * are created (validation decides later whether they are real keys); a list
 * index must exist. A null scalar on the way becomes an empty mapping. */
ntk_status job_tree_set(const job_context *context, job_node *root, const char *key,
                        job_node *value);

#endif
