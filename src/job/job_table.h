/* The job reader's walk over the modules' key tables (core/config_keys.h).
 *
 * Every section of ntk_job is bound here to its module's table and to where
 * its struct sits in the job. Reading walks the bindings in order: for each
 * section the keys are checked against the table (unknown keys named with
 * file:line:column and a "did you mean"), each key present is read, checked
 * and stored by its row, each absent key gets the row's default, and then
 * the section's hand-written rules run (job_rules.h). The echo and the job
 * hash (job_echo.c) walk the same bindings, so a key added as a row is read,
 * set by --set and sweeps (which edit the tree before it is read), echoed
 * and, when flagged, hashed.
 *
 * Internal to src/job/.
 */
#ifndef NTK_JOB_JOB_TABLE_H
#define NTK_JOB_JOB_TABLE_H

#include <stdint.h>
#include <stdio.h>

#include "job/job.h"
#include "job/job_tree.h"

/* A section's hand-written rules (job_rules.c), run once it is read; `node`
 * is the section's node (NULL when absent). */
typedef ntk_status (*job_section_rules)(const job_context *context, const job_node *root,
                                        const job_node *node, ntk_job *job);

enum { JOB_ALWAYS_ON = -1 };

typedef struct {
    const ntk_config_section *section;
    size_t offset;           /* the section's struct in ntk_job */
    long enabled_offset;     /* present = on: the struct's int `enabled`; else JOB_ALWAYS_ON */
    int accepts_true;        /* present = on: `section: true` takes every default */
    job_section_rules rules; /* NULL: none */
} job_section_binding;

/* The sections in the order they are read and echoed (job_keys.c); the
 * last entry has section NULL. */
extern const job_section_binding job_bindings[];

/* The top level's binding (name; sweep is read by job_sweep.c). */
extern const job_section_binding job_top_binding;

/* Read every section of `root` into `job` (see above), defaults included. */
ntk_status job_table_read(const job_context *context, const job_node *root, ntk_job *job);

/* Read the section `binding` names from `root` into `section_struct`; `job`
 * gives the job file's path (paths beside the job), the inputs (layers) and
 * what the section's rules read. */
ntk_status job_table_read_section(const job_context *context, const job_node *root,
                                  const job_section_binding *binding, ntk_job *job,
                                  void *section_struct);

/* The section's echo (job_echo.c): "name:" and each shown key, at `indent`. */
void job_echo_section(FILE *out, int indent, const job_section_binding *binding,
                      const void *section_struct);

/* A section's struct in `job`. */
void *job_table_section(const job_section_binding *binding, const ntk_job *job);

/* Whether `key` is switched on for the echo: its only_key condition holds,
 * and (NTK_KEY_ECHO_IF_SET) its value is not zero. */
int job_table_shown(const ntk_config_section *table, const ntk_config_key *key,
                    const void *section_struct);

/* An INT row's value (int or int64_t storage). */
int64_t job_table_int(const ntk_config_key *key, const void *field);

#endif
