/* Relative change of the empirical NTK over training (see kernel_change.h). */
#include "train/kernel_change.h"

#include <string.h>

#include "core/signals.h"
#include "kernel/assembly_stop.h"

ntk_status training_kernel_change(const ntk_kernel_config *config, const ntk_model *model,
                                  const ntk_grid *grid, const ntk_input_block *inputs,
                                  const ntk_dmatrix *theta_initial, double *change)
{
    *change = -1.0;
    ntk_dmatrix theta_trained;
    memset(&theta_trained, 0, sizeof theta_trained);
    NTK_TRY(ntk_agree(dmatrix_create(grid, theta_initial->rows, theta_initial->cols,
                                     &theta_trained),
                      grid->comm));
    /* No checkpoint for this assembly, but a stop signal ends it at a step. */
    ntk_stop_hook stop = {grid->comm, "the training.kernel_after assembly"};
    ntk_assembly_hooks hooks = {0, checkpoint_stop_after_step, &stop, NULL, NULL};
    ntk_kernel_stats stats;
    memset(&stats, 0, sizeof stats);
    ntk_status status = NTK_OK;
    NTK_TRY_GOTO(status,
                 kernel_assemble(config, model, grid, inputs, 1, &hooks, &theta_trained, &stats),
                 done);
    NTK_TRY_GOTO(status,
                 dmatrix_relative_distance_lower(grid, &theta_trained, theta_initial, change),
                 done);
done:
    dmatrix_destroy(&theta_trained);
    return status;
}
