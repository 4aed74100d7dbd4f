/* Running a sweep (see sweep.h): every point is a separate job load with the
 * point's values as overrides after the command line's --set options, run by
 * pipeline_run into <output.dir>/<point name>/ (names: sweep/point.h).
 *
 * A point is complete when its directory holds summary.yaml (written last by
 * the pipeline), point.job.yaml equal to what the point's job is now
 * (sweep/identity.h) and a point.csv with its own row (written last); a
 * rerun skips it. A stop signal is acted on before every point. That
 * makes an interrupted sweep resumable and lets Slurm array tasks (--point I)
 * share one output.dir. */
#include "sweep/sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/signals.h"
#include "core/log.h"
#include "output/file_names.h"
#include "output/output.h"
#include "pipeline/pipeline.h"
#include "sweep/identity.h"
#include "sweep/point.h"
#include "sweep/table.h"

static int file_exists(const char *path) { return access(path, F_OK) == 0; }

/* Rank 0 looks, every rank learns the answer. Complete: summary.yaml (the
 * pipeline writes it last and removes it when a run starts), a point.csv
 * whose row is this point's own (index and exact values), and a
 * point.job.yaml equal to `identity` (sweep/identity.h; rank 0's text). */
static ntk_status point_is_complete(const ntk_job *sweep_job, int64_t point,
                                    const char *point_dir, const char *identity, MPI_Comm comm,
                                    int *complete)
{
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    char summary[NTK_PATH_MAX];
    ntk_status status = output_path(point_dir, OUTPUT_FILE_SUMMARY, summary);
    int own_row = 0;
    if (status == NTK_OK && rank == 0)
        status = sweep_point_row_exists(sweep_job, point, point_dir, &own_row);
    NTK_TRY(ntk_agree(status, comm));
    *complete = rank == 0 && own_row && file_exists(summary) &&
                sweep_identity_matches(point_dir, identity);
    NTK_MPI(MPI_Bcast(complete, 1, MPI_INT, 0, comm));
    return NTK_OK;
}

ntk_status sweep_load_point(const ntk_job_request *request, const ntk_job *sweep_job,
                            int64_t point, ntk_job *point_job)
{
    char point_name[SWEEP_NAME_MAX + 1], point_dir[NTK_PATH_MAX];
    sweep_point_name(sweep_job, point, point_name, sizeof point_name);
    NTK_TRY(output_path(sweep_job->output.dir, point_name, point_dir));
    ntk_override values[NTK_MAX_SWEEP_KEYS];
    int n_values = 0;
    NTK_TRY(sweep_point_overrides(sweep_job, point, values, &n_values));
    ntk_job_point values_and_dir = {.values = values, .n_values = n_values, .dir = point_dir};
    NTK_TRY(job_request_load(request, &values_and_dir, point_job));
    /* A checkpoint.dir the job file sets explicitly is shared by all points:
     * give each point its own subfolder so their checkpoints never meet. */
    size_t dir_length = strlen(point_dir);
    if (strncmp(point_job->checkpoint.dir, point_dir, dir_length) != 0) {
        char own[NTK_PATH_MAX];
        NTK_TRY(output_path(point_job->checkpoint.dir, point_name, own));
        memcpy(point_job->checkpoint.dir, own, sizeof own);
    }
    return NTK_OK;
}

ntk_status sweep_name_point_failure(const ntk_job *sweep_job, int64_t point, ntk_status status)
{
    if (status == NTK_OK)
        return NTK_OK;
    char message[2048], name[SWEEP_NAME_MAX + 1];
    snprintf(message, sizeof message, "%s", ntk_error_message());
    sweep_point_name(sweep_job, point, name, sizeof name);
    ntk_error_clear();
    return ntk_raise(status, __FILE__, __LINE__, "sweep point %lld of %lld (%s): %s",
                     (long long)point, (long long)sweep_points(sweep_job), name, message);
}

static ntk_status run_point(const ntk_job_request *request, const ntk_job *sweep_job,
                            int64_t point, MPI_Comm comm, ntk_job *point_job)
{
    const int64_t points = sweep_points(sweep_job);
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    char where[96];
    snprintf(where, sizeof where, "between sweep points (before point %lld of %lld)",
             (long long)point, (long long)points);
    NTK_TRY(checkpoint_stop_point(comm, where,
                                  "finished points are kept: rerun the same command to continue"));
    char name[SWEEP_NAME_MAX + 1], point_dir[NTK_PATH_MAX];
    sweep_point_name(sweep_job, point, name, sizeof name);
    NTK_TRY(ntk_agree(output_path(sweep_job->output.dir, name, point_dir), comm));

    /* The point's job first: whether the folder is complete depends on what
     * it would compute now. */
    NTK_TRY(sweep_name_point_failure(
        sweep_job, point, ntk_agree(sweep_load_point(request, sweep_job, point, point_job), comm)));
    char *identity = NULL;
    NTK_TRY(ntk_agree(rank == 0 ? sweep_identity_text(point_job, &identity) : NTK_OK, comm));
    int complete = 0;
    ntk_status status = point_is_complete(sweep_job, point, point_dir, identity, comm, &complete);
    if (status == NTK_OK && complete) {
        ntk_log("sweep: point %lld already complete, skipping (%s)", (long long)point, point_dir);
        free(identity);
        return NTK_OK;
    }
    if (status == NTK_OK)
        ntk_log("sweep: point %lld of %lld: %s", (long long)point, (long long)points, name);

    /* A row left by an earlier run of this point must not outlive a rerun
     * that fails: sweep.csv would show the old figures. */
    char row[NTK_PATH_MAX], job_text[NTK_PATH_MAX];
    if (status == NTK_OK)
        status = ntk_agree(output_path(point_dir, OUTPUT_FILE_SWEEP_POINT, row), comm);
    if (status == NTK_OK)
        status = ntk_agree(output_path(point_dir, SWEEP_IDENTITY_NAME, job_text), comm);
    if (status == NTK_OK && rank == 0) {
        unlink(row);
        unlink(job_text);
    }
    ntk_run_result result;
    memset(&result, 0, sizeof result);
    if (status == NTK_OK)
        status = sweep_name_point_failure(sweep_job, point, pipeline_run(point_job, comm, &result));
    /* point.csv last: with it the point is complete. */
    if (status == NTK_OK)
        status = ntk_agree(rank == 0 ? sweep_identity_write(point_dir, identity) : NTK_OK, comm);
    if (status == NTK_OK)
        status = ntk_agree(
            rank == 0 ? sweep_write_point_row(sweep_job, point, point_dir, &result) : NTK_OK,
            comm);
    free(identity);
    NTK_TRY(status);
    return NTK_OK;
}

ntk_status sweep_run(const ntk_job_request *request, const ntk_job *job, long point,
                     MPI_Comm comm)
{
    const int64_t points = sweep_points(job);
    if (point >= 0 && point >= points)
        return NTK_RAISE(NTK_ERR_USAGE, "--point %ld: the job has %lld sweep point%s (0..%lld)",
                         point, (long long)points, points == 1 ? "" : "s",
                         (long long)(points - 1));
    if (job->sweep.n_keys == 0) {
        /* Nothing to sweep: the job is its own single point. */
        ntk_run_result result;
        NTK_TRY(pipeline_run(job, comm, &result));
        return NTK_OK;
    }

    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    NTK_TRY(output_prepare_dir(job->output.dir, comm));
    ntk_job *point_job = NULL;
    NTK_TRY(ntk_agree(NTK_CALLOC(point_job, 1, "sweep point job"), comm));

    ntk_status status = NTK_OK;
    const int64_t first = point >= 0 ? point : 0;
    const int64_t last = point >= 0 ? point : points - 1;
    if (point < 0)
        ntk_log("sweep: %lld points into %s/", (long long)points, job->output.dir);
    for (int64_t p = first; p <= last && status == NTK_OK; ++p)
        status = run_point(request, job, p, comm, point_job);
    free(point_job);
    if (status != NTK_OK) {
        /* Still rebuild sweep.csv (rank-local, best effort: the point's error
         * is the one reported), so it never keeps a row of an earlier run of
         * a point whose folder the failed or stopped run has since cleared. */
        int64_t rows = 0;
        if (rank == 0 && sweep_write_table(job, job->output.dir, &rows) != NTK_OK)
            ntk_warn("sweep: could not rebuild %s/" OUTPUT_FILE_SWEEP " after the failure",
                     job->output.dir);
        return NTK_FRAME(status);
    }

    int64_t rows = 0;
    NTK_TRY(ntk_agree(rank == 0 ? sweep_write_table(job, job->output.dir, &rows) : NTK_OK, comm));
    NTK_MPI(MPI_Bcast(&rows, 1, MPI_INT64_T, 0, comm));
    ntk_log("sweep: %s/" OUTPUT_FILE_SWEEP " has %lld of %lld points", job->output.dir,
            (long long)rows, (long long)points);
    return NTK_OK;
}
