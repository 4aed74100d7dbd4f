/* output_prepare_dir, output_path and the partial-file protocol: nested
 * folders are created, a file in the way is a clear error, a partial file
 * only appears under its final name on commit, and discard removes it. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/output.h"
#include "check.h"


static int is_dir(const char *path)
{
    struct stat info;
    return stat(path, &info) == 0 && S_ISDIR(info.st_mode);
}

static int exists(const char *path) { return access(path, F_OK) == 0; }

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    const char *root = "scratch-output-files";
    (void)!system("rm -rf scratch-output-files");

    /* mkdir -p, idempotent, with or without a trailing slash. */
    CHECK(output_prepare_dir("scratch-output-files/a/b/c", MPI_COMM_WORLD) == NTK_OK, "nested: %s",
          ntk_error_message());
    CHECK(is_dir("scratch-output-files/a/b/c"), "nested folder missing");
    CHECK(output_prepare_dir("scratch-output-files/a/b/c/", MPI_COMM_WORLD) == NTK_OK,
          "existing: %s", ntk_error_message());
    FILE *blocker = fopen("scratch-output-files/a/file", "w");
    fclose(blocker);
    ntk_error_clear();
    CHECK(output_prepare_dir("scratch-output-files/a/file/d", MPI_COMM_WORLD) == NTK_ERR_IO &&
              strstr(ntk_error_message(), "scratch-output-files/a/file") &&
              strstr(ntk_error_message(), "cannot create output directory"),
          "file in the way: '%s'", ntk_error_message());
    ntk_error_clear();

    /* Joining. */
    char path[NTK_PATH_MAX];
    CHECK(output_path("out", "theta.npy", path) == NTK_OK && strcmp(path, "out/theta.npy") == 0,
          "join: %s", path);
    CHECK(output_path("out/", "theta.npy", path) == NTK_OK && strcmp(path, "out/theta.npy") == 0,
          "join with slash: %s", path);
    CHECK(output_path("", "theta.npy", path) == NTK_OK && strcmp(path, "theta.npy") == 0,
          "join empty: %s", path);
    static char long_dir[NTK_PATH_MAX];
    memset(long_dir, 'x', sizeof long_dir - 10);
    long_dir[sizeof long_dir - 10] = '\0';
    CHECK(output_path(long_dir, "theta.npy", path) == NTK_ERR_IO, "too long path accepted");
    ntk_error_clear();

    /* Partial files. */
    output_path(root, "modes.csv", path);
    FILE *file = NULL;
    CHECK(partial_file_open(path, &file) == NTK_OK && file != NULL, "open: %s",
          ntk_error_message());
    fprintf(file, "mode,eigenvalue\n1,2.5\n");
    CHECK(!exists(path) && exists("scratch-output-files/modes.csv.partial"),
          "only the partial file exists before commit");
    CHECK(partial_file_commit(path, file) == NTK_OK, "commit: %s", ntk_error_message());
    CHECK(exists(path) && !exists("scratch-output-files/modes.csv.partial"),
          "after commit: final file only");
    char text[64] = "";
    file = fopen(path, "r");
    size_t got = fread(text, 1, sizeof text - 1, file);
    fclose(file);
    text[got] = '\0';
    CHECK(strcmp(text, "mode,eigenvalue\n1,2.5\n") == 0, "content '%s'", text);

    output_path(root, "summary.yaml", path);
    CHECK(partial_file_open(path, &file) == NTK_OK, "open 2");
    fputs("half", file);
    partial_file_discard(path, file);
    CHECK(!exists(path) && !exists("scratch-output-files/summary.yaml.partial"),
          "discard leaves nothing");

    CHECK(partial_file_open("scratch-output-files/missing/x.csv", &file) == NTK_ERR_IO &&
              strstr(ntk_error_message(), "scratch-output-files/missing/x.csv.partial: cannot write"),
          "open in a missing folder: '%s'", ntk_error_message());

    if (failures == 0) {
        (void)!system("rm -rf scratch-output-files");
        printf("ok: output files\n");
    }
    MPI_Finalize();
    return failures ? 1 : 0;
}
