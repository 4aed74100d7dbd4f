/* Files written under PATH.partial and renamed when complete (see partial_file.h). */
#include "core/partial_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

ntk_status partial_file_name(const char *path, char *partial)
{
    if (snprintf(partial, PARTIAL_PATH_MAX, "%s.partial", path) >= PARTIAL_PATH_MAX)
        return NTK_RAISE(NTK_ERR_IO, "%s: path is too long", path);
    return NTK_OK;
}

ntk_status partial_file_open(const char *path, FILE **file)
{
    char partial[PARTIAL_PATH_MAX];
    *file = NULL;
    NTK_TRY(partial_file_name(path, partial));
    *file = fopen(partial, "w");
    if (*file == NULL)
        return NTK_RAISE(NTK_ERR_IO, "%s: cannot write: %s", partial, strerror(errno));
    return NTK_OK;
}

void partial_file_sync_directory(const char *path)
{
    char dir[PARTIAL_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

ntk_status partial_file_commit(const char *path, FILE *file)
{
    char partial[PARTIAL_PATH_MAX];
    ntk_status status = partial_file_name(path, partial);
    if (status != NTK_OK) {
        fclose(file);
        return status;
    }
    /* The first failure wins: its errno is the one worth reporting. ferror
     * catches an earlier failed fprintf/fwrite whose return was not checked. */
    int saved = 0;
    const char *step = NULL;
    if (ferror(file)) {
        step = "write";
        saved = errno;
    } else if (fflush(file) != 0) {
        step = "flush";
        saved = errno;
    } else if (fsync(fileno(file)) != 0) {
        step = "sync";
        saved = errno;
    }
    if (fclose(file) != 0 && step == NULL) {
        step = "close";
        saved = errno;
    }
    if (step != NULL) {
        remove(partial);
        return NTK_RAISE(NTK_ERR_IO, "%s: cannot write (%s): %s", path, step,
                         saved ? strerror(saved) : "write error");
    }
    if (rename(partial, path) != 0) {
        saved = errno;
        remove(partial);
        return NTK_RAISE(NTK_ERR_IO, "%s: cannot rename from %s: %s", path, partial,
                         strerror(saved));
    }
    partial_file_sync_directory(path);
    return NTK_OK;
}

void partial_file_discard(const char *path, FILE *file)
{
    char partial[PARTIAL_PATH_MAX];
    if (file != NULL)
        fclose(file);
    if (partial_file_name(path, partial) == NTK_OK)
        remove(partial);
}

ntk_status partial_file_reserve(const char *path, int64_t bytes)
{
    char partial[PARTIAL_PATH_MAX];
    NTK_TRY(partial_file_name(path, partial));
    if (bytes < 0)
        return NTK_RAISE(NTK_ERR_INTERNAL, "%s: negative file size %lld", path, (long long)bytes);
    /* O_TRUNC: a leftover of a crashed run must not keep stale bytes. */
    int fd = open(partial, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0)
        return NTK_RAISE(NTK_ERR_IO, "%s: cannot write (open): %s", path, strerror(errno));
    const char *step = "reserve";
    int code = bytes > 0 ? posix_fallocate(fd, 0, (off_t)bytes) : 0;
    if (code == EOPNOTSUPP || code == ENOSYS || code == EINVAL) {
        /* No reservation on this file system: size the file and rely on the
         * writer's own checks. */
        step = "size";
        code = ftruncate(fd, (off_t)bytes) == 0 ? 0 : errno;
    }
    if (close(fd) != 0 && code == 0) {
        step = "close";
        code = errno;
    }
    if (code != 0) {
        remove(partial);
        return NTK_RAISE(NTK_ERR_IO, "%s: cannot write (%s %lld bytes): %s", path, step,
                         (long long)bytes, strerror(code));
    }
    return NTK_OK;
}
