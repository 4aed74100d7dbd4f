/* Atomic small-file writing for rank-local writers: everything is written to
 * PATH.partial, and only a complete file is renamed to PATH, so a crash or a
 * full disk never leaves half a file under a final name. */
#ifndef NTK_CORE_PARTIAL_FILE_H
#define NTK_CORE_PARTIAL_FILE_H

#include <stdio.h>

#include "core/status.h"

ntk_status partial_file_open(const char *path, FILE **file);
/* fclose (checking for write errors) and rename to PATH; on failure the
 * partial file is removed. */
ntk_status partial_file_commit(const char *path, FILE *file);
/* After a failed write: close `file` (may be NULL) and remove PATH.partial. */
void partial_file_discard(const char *path, FILE *file);

#endif
