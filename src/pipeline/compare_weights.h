/* The job's kernel against the kernel of the same model with other weights
 * (diagnostics.compare_weights, docs/diagnostics.md "Kernel distance"):
 * kernel_distance 1 - <Theta_a, Theta_b>_F / (||Theta_a||_F ||Theta_b||_F)
 * and the relative Frobenius distance ||Theta_b - Theta_a||_F / ||Theta_a||_F,
 * Theta_a the job's, Theta_b FILE's. */
#ifndef NTK_PIPELINE_COMPARE_WEIGHTS_H
#define NTK_PIPELINE_COMPARE_WEIGHTS_H

#include "diagnostics/kernels.h"
#include "grid/grid.h"
#include "job/job.h"
#include "kernel/kernel.h"
#include "model/model.h"
#include "pipeline/inputs.h"

/* The file is a weights file of the job's model: every tensor of the right
 * shape, the same layers with a bias, the same parameter count. NTK_ERR_JOB
 * naming the key's place, the file and the first tensor that does not fit.
 * Rank-local (run's preflight and validate call it before anything is
 * written). */
ntk_status compare_weights_check(const ntk_job *job, const ntk_data_shape *shape);

/* Build the model from FILE, assemble its kernel (lower triangle) on the
 * same grid and compare with `theta` (lower triangle read). One extra
 * distributed matrix while it runs. Collective. */
ntk_status compare_with_weights(const ntk_job *job, const ntk_data_shape *shape,
                                const ntk_grid *grid, const ntk_input_block *inputs,
                                const ntk_dmatrix *theta, ntk_kernel_distance *distance);

#endif
