/* The job's key registry: the top-level keys and, in order, every module's
 * section table (each declared in the module's own <module>_config.h). The
 * reader, `ntkgram help keys` and docs/keys.md walk this one list, so a new
 * key is one row in its module's table. */
#ifndef NTK_JOB_JOB_KEYS_H
#define NTK_JOB_JOB_KEYS_H

#include <stdio.h>

#include "core/config_keys.h"

/* The most keys a section has, with the NULL. */
enum { JOB_SECTION_KEYS_MAX = 32 };

/* The sections, in the order a job file and the echo list them, are
 * job_bindings (job_table.h). */

/* The top-level keys that are no section (name, sweep). */
extern const ntk_config_section job_top_section;

/* Every key with its type, default and doc: `markdown` 0 for the terminal
 * (`ntkgram help keys`), 1 for docs/keys.md. */
void job_print_keys(FILE *out, int markdown);

/* The top-level key names (sections included), NULL-terminated, for
 * messages and suggestions. */
const char *const *job_top_level_names(void);

/* The key names of `section` into `names` (NULL-terminated, at most
 * capacity - 1 of them), in the table's order: what job_check_mapping
 * accepts. Returns how many. */
int job_key_names(const ntk_config_section *section, const char **names, int capacity);

#endif
