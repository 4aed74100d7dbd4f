/* Files written under PATH.partial and renamed when complete (see partial_file.h). */
#include "core/partial_file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum { PARTIAL_PATH_MAX = 4096 + 16 }; /* a path plus ".partial" */

static ntk_status partial_name(const char *path, char *partial)
{
    if (snprintf(partial, PARTIAL_PATH_MAX, "%s.partial", path) >= PARTIAL_PATH_MAX)
        return NTK_RAISE(NTK_ERR_IO, "%s: path is too long", path);
    return NTK_OK;
}

ntk_status partial_file_open(const char *path, FILE **file)
{
    char partial[PARTIAL_PATH_MAX];
    *file = NULL;
    NTK_TRY(partial_name(path, partial));
    *file = fopen(partial, "w");
    if (*file == NULL)
        return NTK_RAISE(NTK_ERR_IO, "%s: cannot write: %s", partial, strerror(errno));
    return NTK_OK;
}

ntk_status partial_file_commit(const char *path, FILE *file)
{
    char partial[PARTIAL_PATH_MAX];
    NTK_TRY(partial_name(path, partial));
    /* A full disk often shows only at flush or close: check both. */
    int failed = ferror(file);
    int saved = errno;
    if (fclose(file) != 0 && !failed) {
        failed = 1;
        saved = errno;
    }
    if (failed) {
        remove(partial);
        return NTK_RAISE(NTK_ERR_IO, "%s: cannot write: %s", path,
                         saved ? strerror(saved) : "write error");
    }
    if (rename(partial, path) != 0) {
        saved = errno;
        remove(partial);
        return NTK_RAISE(NTK_ERR_IO, "%s: cannot rename from %s: %s", path, partial,
                         strerror(saved));
    }
    return NTK_OK;
}

void partial_file_discard(const char *path, FILE *file)
{
    char partial[PARTIAL_PATH_MAX];
    if (file != NULL)
        fclose(file);
    if (partial_name(path, partial) == NTK_OK)
        remove(partial);
}
