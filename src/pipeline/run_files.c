/* Output files belong to one run: clearing, the marker, the list (see
 * run_files.h). */
#include "pipeline/run_files.h"

#include "core/partial_file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "output/file_names.h"
#include "output/output.h"

/* summary.yaml first: once it is gone, nothing in the folder claims to be a
 * finished run, whatever happens next. */
static const char *const output_names[] = {
    OUTPUT_FILE_SUMMARY,
    OUTPUT_FILE_THETA,
    OUTPUT_FILE_NNGP,
    OUTPUT_FILE_EIGENVALUES,
    OUTPUT_FILE_EIGENVECTORS,
    OUTPUT_FILE_MODES,
    OUTPUT_FILE_SPECTRUM_SVG,
    OUTPUT_FILE_TRAINING,
    OUTPUT_FILE_PARAMS,
    OUTPUT_FILE_TEST_THETA,
    OUTPUT_FILE_TEST_NNGP,
    OUTPUT_FILE_TEST_PREDICTIONS,
    OUTPUT_FILE_PREDICT_CSV,
    OUTPUT_FILE_PREDICT_SVG,
    OUTPUT_FILE_LAYERS,
    OUTPUT_FILE_LAYERS_SVG,
    OUTPUT_FILE_KERNEL_DRIFT,
    OUTPUT_FILE_KERNEL_DRIFT_SVG,
    OUTPUT_FILE_TRAINING_MODES,
    OUTPUT_FILE_TRAINING_MODES_SVG,
    NULL};

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return a[0] != '\0' && b[0] != '\0' && stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
           sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int job_reads(const ntk_job *job, const char *path)
{
    return (job->inputs.kind != NTK_SOURCE_SYNTHETIC && same_file(job->inputs.path, path)) ||
           (job->targets.kind != NTK_SOURCE_NONE && job->targets.kind != NTK_SOURCE_SYNTHETIC &&
            same_file(job->targets.path, path)) ||
           same_file(job->model.weights_path, path);
}

static ntk_status clear_and_mark(const ntk_job *job)
{
    const char *dir = job->output.dir;
    char path[NTK_PATH_MAX];
    NTK_TRY(output_path(dir, RUN_MARKER_NAME, path));
    if (access(path, F_OK) == 0)
        ntk_warn("%s: an earlier run into this folder did not finish; its files are replaced",
                 path);
    for (int i = 0; output_names[i] != NULL; ++i) {
        char old[NTK_PATH_MAX];
        NTK_TRY(output_path(dir, output_names[i], old));
        if (job_reads(job, old))
            continue;
        if (unlink(old) != 0 && errno != ENOENT)
            return NTK_RAISE(NTK_ERR_IO, "%s: cannot remove the file of an earlier run: %s", old,
                             strerror(errno));
    }
    /* theta_layer_<l>.npy of every possible layer l */
    for (int l = 1; l <= NTK_MAX_DENSE + 1; ++l) {
        char name[64], old[NTK_PATH_MAX];
        output_theta_layer_name(l, name, sizeof name);
        NTK_TRY(output_path(dir, name, old));
        if (job_reads(job, old))
            continue;
        if (unlink(old) != 0 && errno != ENOENT)
            return NTK_RAISE(NTK_ERR_IO, "%s: cannot remove the file of an earlier run: %s", old,
                             strerror(errno));
    }

    /* Written like every output (core/partial_file.h): a full disk leaves
     * neither a half marker nor its .partial. */
    FILE *marker = NULL;
    NTK_TRY(partial_file_open(path, &marker));
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    char when[64] = "";
    time_t now = time(NULL);
    struct tm utc;
    if (gmtime_r(&now, &utc) != NULL)
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &utc);
    /* The name, path and host are any text: quoted, so the marker stays YAML
     * whose strings load as strings (a job named 2024 or "a: b"). */
    fputs("# ntkgram is writing this folder; the files here are complete only when this\n"
          "# marker is gone and " OUTPUT_FILE_SUMMARY " is present.\njob: ",
          marker);
    job_write_yaml_string(marker, job->name);
    fputs("\nfile: ", marker);
    job_write_yaml_string(marker, job->path);
    fprintf(marker, "\nstarted: %s\nhost: ", when);
    job_write_yaml_string(marker, host);
    fprintf(marker, "\npid: %ld\n", (long)getpid());
    NTK_TRY(partial_file_commit(path, marker));
    return NTK_OK;
}

ntk_status run_files_begin(const ntk_job *job, MPI_Comm comm, ntk_run_files *files)
{
    memset(files, 0, sizeof *files);
    int rank = 0;
    NTK_MPI(MPI_Comm_rank(comm, &rank));
    NTK_TRY(ntk_agree(rank == 0 ? clear_and_mark(job) : NTK_OK, comm));
    return NTK_OK;
}

void run_files_add(ntk_run_files *files, const char *name)
{
    if (files->count < RUN_FILES_MAX)
        files->names[files->count++] = name;
}

void run_files_list(const ntk_run_files *files, char *text, size_t capacity)
{
    size_t used = 0;
    text[0] = '\0';
    for (int i = 0; i < files->count && used < capacity; ++i)
        used += (size_t)snprintf(text + used, capacity - used, "%s%s", i > 0 ? ", " : "",
                                 files->names[i]);
}

ntk_status run_files_finish(const ntk_job *job, MPI_Comm comm)
{
    int rank = 0;
    NTK_MPI(MPI_Comm_rank(comm, &rank));
    ntk_status status = NTK_OK;
    if (rank == 0) {
        char path[NTK_PATH_MAX];
        status = output_path(job->output.dir, RUN_MARKER_NAME, path);
        if (status == NTK_OK && unlink(path) != 0 && errno != ENOENT)
            status = NTK_RAISE(NTK_ERR_IO, "%s: cannot remove the run marker: %s", path,
                               strerror(errno));
    }
    NTK_TRY(ntk_agree(status, comm));
    return NTK_OK;
}
