/* Fuzz target: the job loader (src/job/: YAML parsing, --set overrides,
 * every section's validation and the sweep).
 *
 * Input layout: the YAML document, then zero or more override strings, each
 * introduced by a NUL byte ("model.seed=3"), as `ntkgram --set` passes them.
 * Each override first goes through job_parse_override (the --set option
 * parser); those it accepts are applied by job_load.
 *
 * The document limits (size, nesting depth, number of values; job/job_tree.h)
 * are lowered here to FUZZ_LIMITS so that inputs of a few kilobytes reach
 * each of them: the code paths are the program's, only the numbers differ
 * (tests/job checks the real numbers). */
#include <stdlib.h>
#include <string.h>

#include "fuzz_file.h"
#include "job/job.h"
#include "job/job_tree.h"

/* ntk_job is large (sweep values, paths): one static instance. */
static ntk_job job;
static ntk_override overrides[NTK_MAX_JOB_OVERRIDES];

/* Small enough for libFuzzer's inputs (4 KB by default, more from larger
 * seeds), large enough for every seed job in fuzz/corpus/job_load. */
static const job_tree_limits FUZZ_LIMITS = {.max_bytes = 6000, .max_depth = 64, .max_values = 600};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    job_tree_set_limits(&FUZZ_LIMITS);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    size_t yaml_size = nul ? (size_t)(nul - data) : size;
    const char *path = fuzz_file_write(data, yaml_size);

    int count = 0;
    size_t at = yaml_size;
    char text[2048];
    while (at < size && count < NTK_MAX_JOB_OVERRIDES) {
        ++at; /* the NUL */
        const uint8_t *end = memchr(data + at, '\0', size - at);
        size_t length = end ? (size_t)(end - (data + at)) : size - at;
        if (length < sizeof text) {
            memcpy(text, data + at, length);
            text[length] = '\0';
            if (job_parse_override(text, &overrides[count]) == NTK_OK)
                ++count;
        }
        at += length;
    }
    ntk_error_clear();
    (void)job_load(path, overrides, count, &job);
    ntk_error_clear();
    return 0;
}
