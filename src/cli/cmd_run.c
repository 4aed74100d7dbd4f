/* `ntkgram run`: load the job, then run it (or its sweep points). */
#include <stdio.h>

#include "cli/commands.h"
#include "core/blas_kernels.h"
#include "core/log.h"
#include "pipeline/pipeline.h"
#include "sweep/sweep.h"

int cmd_run(int argc, char **argv)
{
    ntk_cli_options options;
    ntk_job job;
    ntk_status status = cli_parse_options(argc, argv, "run", "set out point quiet verbose no-sweep", &options);
    if (status == NTK_OK) {
        ntk_log_init(ntk_log_rank(), options.quiet);
        status = job_request_load(&options.request, NULL, &job);
    }
    status = ntk_agree(status, MPI_COMM_WORLD);
    if (status == NTK_OK) {
        ntk_blas_kernels blas;
        ntk_blas_kernels_detect(&blas);
        ntk_blas_kernels_warn(&blas);
        if (job.sweep.n_keys > 0) {
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
