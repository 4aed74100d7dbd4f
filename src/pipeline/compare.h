/* The empirical kernel against its infinite-width limit (kernel.compare_analytic):
 * ||Theta - Theta_inf||_F / ||Theta_inf||_F, the number a width sweep plots. */
#ifndef NTK_PIPELINE_COMPARE_H
#define NTK_PIPELINE_COMPARE_H

#include "grid/grid.h"
#include "job/job.h"
#include "kernel/kernel.h"
#include "model/model.h"

/* Assemble the analytic kernel on the same grid and compare. Reads only the
 * lower triangle of `theta` (off-diagonal entries count twice), so it works
 * whether or not the upper triangle was filled. Collective. */
ntk_status compare_with_analytic(const ntk_job *job, const ntk_model *model, const ntk_grid *grid,
                                 const ntk_input_block *inputs, const ntk_dmatrix *theta,
                                 double *distance);

#endif
