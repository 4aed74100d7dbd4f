/* A sweep point's identity file (see identity.h). */
#include "sweep/identity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/partial_file.h"
#include "output/output.h"

ntk_status sweep_identity_text(const ntk_job *point_job, char **text)
{
    *text = NULL;
    size_t length = 0;
    FILE *memory = open_memstream(text, &length);
    if (memory == NULL)
        return NTK_RAISE(NTK_ERR_MEMORY, "cannot build the identity of a sweep point");
    fprintf(memory, "# what this sweep point was computed from; a rerun skips the point only\n"
                    "# when this is the same\ntheta_hash: '%016llx'\n",
            (unsigned long long)job_hash(point_job));
    job_echo_yaml(point_job, memory, 0);
    int failed = ferror(memory);
    if (fclose(memory) != 0 || failed || *text == NULL) {
        free(*text);
        *text = NULL;
        return NTK_RAISE(NTK_ERR_MEMORY, "cannot build the identity of a sweep point");
    }
    return NTK_OK;
}

int sweep_identity_matches(const char *point_dir, const char *text)
{
    char path[NTK_PATH_MAX];
    if (output_path(point_dir, SWEEP_IDENTITY_NAME, path) != NTK_OK)
        return 0;
    FILE *file = fopen(path, "rb");
    if (file == NULL)
        return 0;
    const size_t expected = strlen(text);
    char *stored = malloc(expected + 2);
    int same = 0;
    if (stored != NULL) {
        /* One byte more than expected: a longer file is a different one. */
        size_t got = fread(stored, 1, expected + 1, file);
        same = !ferror(file) && got == expected && memcmp(stored, text, expected) == 0;
    }
    free(stored);
    fclose(file);
    return same;
}

ntk_status sweep_identity_write(const char *point_dir, const char *text)
{
    char path[NTK_PATH_MAX];
    FILE *file = NULL;
    NTK_TRY(output_file_open(point_dir, SWEEP_IDENTITY_NAME, path, &file));
    fputs(text, file);
    NTK_TRY(partial_file_commit(path, file));
    return NTK_OK;
}
