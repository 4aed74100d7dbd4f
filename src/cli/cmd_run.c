/* `ntkgram run`: load the job, then run it (or its sweep points). */
#include <stdio.h>

#include "cli/commands.h"
#include "core/blas_kernels.h"
#include "core/log.h"
#include "pipeline/pipeline.h"
#include "sweep/sweep.h"

/* --piece I/K: one piece of a job array (pipeline_run_piece), for a job
 * whose assembly steps are independent: the analytic kernel without a
 * sweep. The same on every rank. */
static ntk_status run_piece(const ntk_cli_options *options, const ntk_job *job)
{
    if (options->point >= 0)
        return NTK_RAISE(NTK_ERR_USAGE, "run: --piece and --point cannot be combined (a piece "
                         "splits one run; a point is one run of a sweep)");
    if (job->sweep.n_keys > 0)
        return NTK_RAISE(NTK_ERR_USAGE,
                         "run: --piece splits one run's Theta, but %s has a sweep (its points "
                         "are a job array already); fix the point's values with --set and add "
                         "--no-sweep to split one point",
                         job->path);
    if (job->kernel.kind != NTK_KIND_ANALYTIC)
        return NTK_RAISE(NTK_ERR_USAGE,
                         "run: --piece needs kernel.kind analytic (%s): the empirical kernels add "
                         "to Theta at every assembly step, so pieces could not combine "
                         "bit-identically; run the job whole",
                         job->path);
    ntk_run_result result;
    const ntk_run_piece piece = {options->piece_index, options->piece_count};
    return pipeline_run_piece(job, MPI_COMM_WORLD, piece, &result);
}

int cmd_run(int argc, char **argv)
{
    ntk_cli_options options;
    ntk_job job;
    ntk_status status = cli_parse_options(argc, argv, "run", "set out point piece quiet verbose no-sweep", &options);
    if (status == NTK_OK) {
        ntk_log_init(ntk_log_rank(), options.quiet);
        status = job_request_load(&options.request, NULL, &job);
    }
    status = ntk_agree(status, MPI_COMM_WORLD);
    if (status == NTK_OK) {
        ntk_blas_kernels blas;
        ntk_blas_kernels_detect(&blas);
        ntk_blas_kernels_warn(&blas);
        if (options.piece_count > 0) {
            status = run_piece(&options, &job);
        } else if (job.sweep.n_keys > 0) {
            status = sweep_run(&options.request, &job, options.point, MPI_COMM_WORLD);
        } else if (options.point > 0) {
            status = NTK_RAISE(NTK_ERR_USAGE, "run: --point %ld given, but %s has no sweep (only point 0)",
                               options.point, job.path);
        } else {
            ntk_run_result result;
            status = pipeline_run(&job, MPI_COMM_WORLD, &result);
        }
        status = ntk_agree(status, MPI_COMM_WORLD);
    }
    if (status != NTK_OK && ntk_log_rank() == 0)
        ntk_error_print(options.verbose);
    return ntk_exit_code(status);
}
