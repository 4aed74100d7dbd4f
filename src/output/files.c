/* File plumbing shared by every writer of output.dir: creating the folder,
 * joining paths, and writing small files under PATH.partial that are renamed
 * to PATH only when complete (see output.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "output/output.h"

/* mkdir -p: create each missing component; existing folders are fine. */
static ntk_status make_directories(const char *dir)
{
    char partial[NTK_PATH_MAX];
    size_t length = strlen(dir);
    if (length == 0)
        return NTK_OK; /* the working directory */
    if (length >= sizeof partial)
        return NTK_RAISE(NTK_ERR_IO, "%.80s...: output directory path is too long", dir);
    memcpy(partial, dir, length + 1);
    for (size_t i = 1; i <= length; ++i) {
        if (partial[i] != '/' && partial[i] != '\0')
            continue;
        char saved = partial[i];
        partial[i] = '\0';
        if (mkdir(partial, 0777) != 0 && errno != EEXIST)
            return NTK_RAISE(NTK_ERR_IO, "%s: cannot create output directory: %s", partial,
                             strerror(errno));
        partial[i] = saved;
    }
    struct stat info;
    if (stat(dir, &info) != 0 || !S_ISDIR(info.st_mode))
        return NTK_RAISE(NTK_ERR_IO, "%s: cannot create output directory: %s", dir,
                         errno ? strerror(errno) : "a file of that name exists");
    return NTK_OK;
}

ntk_status output_prepare_dir(const char *dir, MPI_Comm comm)
{
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    ntk_status status = NTK_OK;
    if (rank == 0) {
        errno = 0;
        status = make_directories(dir);
    }
    return ntk_agree(status, comm);
}

ntk_status output_path(const char *dir, const char *name, char *out)
{
    size_t length = strlen(dir);
    const char *separator = (length == 0 || dir[length - 1] == '/') ? "" : "/";
    int written = snprintf(out, NTK_PATH_MAX, "%s%s%s", dir, separator, name);
    if (written < 0 || written >= NTK_PATH_MAX)
        return NTK_RAISE(NTK_ERR_IO, "%s: output path for %s is too long", dir, name);
    return NTK_OK;
}

ntk_status output_file_open(const char *dir, const char *name, char *path, FILE **file)
{
    *file = NULL;
    NTK_TRY(output_path(dir, name, path));
    return partial_file_open(path, file);
}
