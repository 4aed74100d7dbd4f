/* Where a configuration key or value stood, for messages that name
 * file:line:column; and the longest path a configuration holds. Shared by
 * every module's configuration section (the job reader fills them). */
#ifndef NTK_CORE_LOCATION_H
#define NTK_CORE_LOCATION_H

#include <stddef.h>

enum { NTK_PATH_MAX = 4096 };

/* Where a key or value stood in its file, for error messages. `file` points
 * at text shared for the life of the process (job/job_location.c), so a copied
 * job keeps valid locations and ntk_job stays small enough for the stack. */
typedef struct {
    const char *file; /* the job file, or "--set KEY"; NULL in a zeroed location */
    int line, column; /* 1-based; 0 when unknown */
} ntk_location;

/* A location as message text: "jobs/demo.yaml:7:12", "--set grid.shape" (an
 * override) or "jobs/demo.yaml" (line unknown). Returns `buffer`. */
const char *job_location_text(const ntk_location *where, char *buffer, size_t size);

#endif
