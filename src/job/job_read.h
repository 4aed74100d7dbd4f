/* Typed reading of job file values: integers, numbers, booleans, strings,
 * choices from a list, durations and checked mappings. Each reader turns a
 * node into a C value or raises one NTK_ERR_JOB line naming the node's
 * position and key path (job_fail). YAML 1.2 core schema: true/false only,
 * numbers without trailing junk, integers must be integral; quoted text is
 * always a string.
 *
 * Internal to src/job/.
 */
#ifndef NTK_JOB_JOB_READ_H
#define NTK_JOB_JOB_READ_H

#include <stdint.h>

#include "core/config_keys.h"
#include "job/job_tree.h"

/* Plain-text conversions (1 on success) shared with tests. */
int job_text_to_int(const char *text, int64_t *value);
int job_text_to_number(const char *text, double *value);
/* Why a number's text has no double (it rounds to 0, or overflows), as the
 * end of a message; NULL when it has one or is no number. */
const char *job_text_number_out_of_range(const char *text);
int job_text_to_bool(const char *text, int *value);
/* "90s", "10m", "2h", "1d", "1h30m", "45" or "2.5" (seconds); >= 0. */
int job_text_to_duration(const char *text, double *seconds);

/* An integer in [minimum, maximum]; `requirement` completes "must be ..."
 * (e.g. "a positive integer"), `noun` (may be NULL) starts the message
 * ("width must be ..."). */
ntk_status job_read_int(const job_context *context, const job_node *node, const char *path,
                        const char *noun, const char *requirement, int64_t minimum,
                        int64_t maximum, int64_t *value);

/* A finite number within `bounds` (NTK_KEY_ABOVE, ... of core/config_keys.h
 * with minimum and maximum): "must be a number > 0", "must be below 1
 * (NOTE)". */
ntk_status job_read_bounded_number(const job_context *context, const job_node *node,
                                   const char *path, int bounds, double minimum, double maximum,
                                   const char *note, double *value);

ntk_status job_read_bool(const job_context *context, const job_node *node, const char *path,
                         int *value);

/* A non-empty scalar of at most size-1 bytes. */
ntk_status job_read_string(const job_context *context, const job_node *node, const char *path,
                           char *buffer, int size);

/* One of `names` (n of them); `noun` names the kind ("value", "activation"). */
ntk_status job_read_choice(const job_context *context, const job_node *node, const char *path,
                           const char *noun, const char *const *names, int n, int *value);

/* One of the names of `table` (a module's choice table, core/config_keys.h) whose value has its bit set
 * in `allowed` (JOB_ENUM_ANY: every name); `*value` gets the enum value. */
#define JOB_ENUM_ANY (~0u)
ntk_status job_read_enum(const job_context *context, const job_node *node, const char *path,
                         const char *noun, const ntk_choice_table *table, unsigned allowed,
                         int *value);

ntk_status job_read_duration(const job_context *context, const job_node *node, const char *path,
                             double *seconds);

/* `node` must be a non-empty list; `what` completes the message "must be a
 * non-empty list..." (e.g. " of values", " such as [1, 2]", or ""). */
ntk_status job_check_list(const job_context *context, const job_node *node, const char *path,
                          const char *what);

/* `node` must be a mapping (a null value counts as an empty one) whose keys
 * are all in `allowed` (NULL-terminated). */
ntk_status job_check_mapping(const job_context *context, const job_node *node, const char *path,
                             const char *const *allowed);

#endif
