/* `ntkgram validate`: check the job file, its data files and (when set) its
 * weights file without computing anything. It makes every check `run` makes
 * before computing (preflight_check: data shape, the held-out data's values,
 * grid.shape against the ranks it runs on, spectrum.top against M, the
 * weights file's index, the memory plan), so on the same number of ranks it
 * refuses exactly the jobs run refuses, with the same message and exit code.
 * Every rank reads its own block of the inputs and targets, so every value is
 * checked once. A sweep is checked point by point (each point's files,
 * weights and shapes), as the sweep would run them; a failure names the
 * point. */
#include <stdio.h>
#include <stdlib.h>

#include "core/signals.h"
#include "cli/commands.h"
#include "core/log.h"
#include "kernel/kernel.h"
#include "model/model.h"
#include "pipeline/inputs.h"
#include "pipeline/preflight.h"
#include "sweep/point.h"
#include "sweep/sweep.h"

/* Beyond this many points only the job as written is checked, as `plan`
 * plans it (each point is a job file load and a read of its data). */
enum { VALIDATE_MAX_SWEEP_POINTS = 4096 };

/* Every check of one job (a sweep point or the job as written); rank 0
 * prints "LABEL: ok - ..." when it passes. Collective. */
static ntk_status validate_job(const ntk_job *job, const char *label, MPI_Comm comm)
{
    int rank = 0, ranks = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &ranks);
    ntk_preflight checked;
    NTK_TRY(preflight_check(job, comm, &checked));
    const ntk_data_shape shape = checked.shape;

    ntk_input_block block;
    double *targets = NULL;
    ntk_model model;
    int have_model = 0;
    ntk_status status = inputs_read_own_block(job, &shape, rank, ranks, &block);
    if (status == NTK_OK)
        status = inputs_read_own_targets(job, &shape, &block, &targets);
    if (status == NTK_OK && (status = model_create_shaped(&job->model, &shape.input, &model)) == NTK_OK)
        have_model = 1;
    status = ntk_agree(status, comm);
    /* Reading large data files can take a while: honour a stop signal. */
    if (status == NTK_OK)
        status = checkpoint_stop_point(comm, "while validating", "nothing was written");
    if (status == NTK_OK && rank == 0) {
        int64_t m_rows = checked.m_rows;
        printf("%s: ok - %lld inputs of dimension %lld, %d output%s, %lld parameters, "
               "Theta %lld x %lld, %s\n",
               label, (long long)shape.n_inputs, (long long)shape.input_dim, shape.k,
               shape.k == 1 ? "" : "s", (long long)model.n_params, (long long)m_rows,
               (long long)m_rows, shape.have_targets ? "with targets" : "no targets");
    }
    if (have_model)
        model_destroy(&model);
    free(targets);
    inputs_free_block(&block);
    return status;
}

static ntk_status validate(const ntk_cli_options *options, MPI_Comm comm)
{
    ntk_job *job = NULL, *point_job = NULL;
    ntk_status status = NTK_CALLOC(job, 1, "the job");
    if (status == NTK_OK)
        status = NTK_CALLOC(point_job, 1, "a sweep point's job");
    if (status == NTK_OK)
        status = job_request_load(&options->request, NULL, job);
    status = ntk_agree(status, comm);
    const int64_t points = status == NTK_OK ? sweep_points(job) : 0;
    if (status == NTK_OK && (job->sweep.n_keys == 0 || points > VALIDATE_MAX_SWEEP_POINTS))
        status = validate_job(job, job->path, comm);
    for (int64_t point = 0; status == NTK_OK && job->sweep.n_keys > 0 &&
                            points <= VALIDATE_MAX_SWEEP_POINTS && point < points;
         ++point) {
        char name[SWEEP_NAME_MAX + 1], label[NTK_PATH_MAX + SWEEP_NAME_MAX + 64];
        sweep_point_name(job, point, name, sizeof name);
        snprintf(label, sizeof label, "%.4000s: sweep point %lld of %lld (%s)", job->path,
                 (long long)point, (long long)points, name);
        status = ntk_agree(sweep_load_point(&options->request, job, point, point_job), comm);
        if (status == NTK_OK)
            status = validate_job(point_job, label, comm);
        status = sweep_name_point_failure(job, point, status);
    }
    free(point_job);
    free(job);
    return status;
}

int cmd_validate(int argc, char **argv)
{
    ntk_cli_options options;
    ntk_status status = cli_parse_options(argc, argv, "validate", "set out quiet verbose no-sweep", &options);
    status = ntk_agree(status, MPI_COMM_WORLD);
    if (status == NTK_OK)
        status = validate(&options, MPI_COMM_WORLD);
    if (status != NTK_OK && ntk_log_rank() == 0)
        ntk_error_print(options.verbose);
    return ntk_exit_code(status);
}
