/* Atomic file writing: everything is written to PATH.partial, made durable
 * (fsync), and only a complete file is renamed to PATH, so a crash or a full
 * disk never leaves half a file under a final name. On any failure the
 * partial file is removed, so no sparse or half-written PATH.partial stays
 * behind either. */
#ifndef NTK_CORE_PARTIAL_FILE_H
#define NTK_CORE_PARTIAL_FILE_H

#include <stdint.h>
#include <stdio.h>

#include "core/status.h"

enum { PARTIAL_PATH_MAX = 4096 + 16 }; /* a path plus ".partial" */

/* PATH.partial into `partial` (capacity PARTIAL_PATH_MAX). */
ntk_status partial_file_name(const char *path, char *partial);

ntk_status partial_file_open(const char *path, FILE **file);
/* Flush, fsync and fclose (checking each for write errors: a full disk often
 * shows only at flush, sync or close), then rename to PATH and sync the
 * folder; on failure the partial file is removed. */
ntk_status partial_file_commit(const char *path, FILE *file);
/* After a failed write: close `file` (may be NULL) and remove PATH.partial. */
void partial_file_discard(const char *path, FILE *file);

/* For writers that fill PATH.partial through another API (MPI-IO): create or
 * truncate PATH.partial and reserve `bytes` of disk space for it with
 * posix_fallocate, so a full disk or quota fails here, before any data are
 * written. This is needed because Open MPI's collective writes (OMPIO) can
 * report success and a full element count when the file system refused the
 * data (measured: ENOSPC on a 1 MiB tmpfs). Where the file system cannot
 * reserve space (EOPNOTSUPP), the file is only sized. Removes PATH.partial on
 * failure. Rank-local. */
ntk_status partial_file_reserve(const char *path, int64_t bytes);

/* fsync the folder that holds `path`, so a rename survives a crash. Errors are
 * ignored: some file systems cannot sync a folder, and the data are already
 * durable. */
void partial_file_sync_directory(const char *path);

#endif
