/* `ntkgram validate`: check the job file, its data files and (when set) its
 * weights file without computing anything. It makes every check `run` makes
 * before computing (preflight_check: data shape, grid.shape against the
 * ranks it runs on, spectrum.top against M, the memory plan), so on the same
 * number of ranks it refuses exactly the jobs run refuses, with the same
 * message and exit code. Every rank reads its own block of the inputs and
 * targets, so every value is checked once. */
#include <stdio.h>
#include <stdlib.h>

#include "checkpoint/signals.h"
#include "cli/commands.h"
#include "core/log.h"
#include "kernel/kernel.h"
#include "model/model.h"
#include "pipeline/inputs.h"
#include "pipeline/preflight.h"

static ntk_status validate(const ntk_cli_options *options, MPI_Comm comm)
{
    int rank = 0, ranks = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &ranks);

    ntk_job job;
    NTK_TRY(ntk_agree(job_request_load(&options->request, NULL, &job), comm));
    ntk_preflight checked;
    NTK_TRY(preflight_check(&job, comm, &checked));
    const ntk_data_shape shape = checked.shape;

    ntk_input_block block;
    double *targets = NULL;
    ntk_model model;
    int have_model = 0;
    ntk_status status = inputs_read_own_block(&job, &shape, rank, ranks, &block);
    if (status == NTK_OK)
        status = inputs_read_own_targets(&job, &shape, &block, &targets);
    if (status == NTK_OK && (status = model_create_shaped(&job.model, &shape.input, &model)) == NTK_OK)
        have_model = 1;
    status = ntk_agree(status, comm);
    /* Reading large data files can take a while: honour a stop signal. */
    if (status == NTK_OK)
        status = checkpoint_stop_point(comm, "while validating", "nothing was written");
    if (status == NTK_OK && rank == 0) {
        int64_t m_rows = checked.m_rows;
        printf("%s: ok - %lld inputs of dimension %lld, %d output%s, %lld parameters, "
               "Theta %lld x %lld, %s\n",
               job.path, (long long)shape.n_inputs, (long long)shape.input_dim, shape.k,
               shape.k == 1 ? "" : "s", (long long)model.n_params, (long long)m_rows,
               (long long)m_rows, shape.have_targets ? "with targets" : "no targets");
    }
    if (have_model)
        model_destroy(&model);
    free(targets);
    inputs_free_block(&block);
    return status;
}

int cmd_validate(int argc, char **argv)
{
    ntk_cli_options options;
    ntk_status status = cli_parse_options(argc, argv, "validate", "set out quiet verbose", &options);
    status = ntk_agree(status, MPI_COMM_WORLD);
    if (status == NTK_OK)
        status = validate(&options, MPI_COMM_WORLD);
    if (status != NTK_OK && ntk_log_rank() == 0)
        ntk_error_print(options.verbose);
    return ntk_exit_code(status);
}
