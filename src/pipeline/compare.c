/* Relative Frobenius distance to the analytic kernel (see compare.h). */
#include "pipeline/compare.h"

#include "core/signals.h"
#include "kernel/assembly_stop.h"
#include "kernel/analytic.h"

ntk_status compare_with_analytic(const ntk_job *job, const ntk_model *model, const ntk_grid *grid,
                                 const ntk_input_block *inputs, const ntk_dmatrix *theta,
                                 double *distance)
{
    ntk_dmatrix limit;
    NTK_TRY(ntk_agree(dmatrix_create(grid, theta->rows, theta->cols, &limit), grid->comm));
    ntk_kernel_stats stats;
    /* No checkpoint for this assembly, but a stop signal ends it at a step. */
    ntk_stop_hook stop = {grid->comm, "the analytic kernel comparison"};
    ntk_assembly_hooks hooks = {0, checkpoint_stop_after_step, &stop, NULL, NULL};
    const ntk_kernel_config kernel_config = job_kernel_config(job);
    ntk_status status = kernel_assemble_analytic(&kernel_config, model, grid, inputs, 1, 0, &hooks,
                                                 &limit, &stats);
    if (status == NTK_OK)
        status = dmatrix_relative_distance_lower(grid, theta, &limit, distance);
    dmatrix_destroy(&limit);
    return status;
}
