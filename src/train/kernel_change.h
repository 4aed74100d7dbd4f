/* How much the empirical NTK moved during training:
 *   ||Theta_T - Theta_0||_F / ||Theta_0||_F
 * with Theta_T recomputed at the trained parameters on the same inputs and
 * grid. Both matrices are symmetric, so only their lower triangles are read
 * (off-diagonal entries counted twice): Theta_T is assembled lower-only,
 * which halves the work, and Theta_0 may be whole or lower-only. */
#ifndef NTK_TRAIN_KERNEL_CHANGE_H
#define NTK_TRAIN_KERNEL_CHANGE_H

#include "grid/grid.h"
#include "job/job.h"
#include "kernel/kernel.h"
#include "model/model.h"

/* Collective. */
ntk_status training_kernel_change(const ntk_job *job, const ntk_model *model,
                                  const ntk_grid *grid, const ntk_input_block *inputs,
                                  const ntk_dmatrix *theta_initial, double *change);

/* ||A - B||_F / ||B||_F for two symmetric M x M matrices on the same grid,
 * reading their lower triangles only (either may be lower-only). Also the
 * measure for ||Theta_emp - Theta_inf|| / ||Theta_inf|| (sweep.csv's
 * analytic_distance). Collective. */
ntk_status training_relative_distance(const ntk_grid *grid, const ntk_dmatrix *a,
                                      const ntk_dmatrix *b, double *distance);

/* Sums over the lower triangle of the squared differences a - b and of the
 * squares of b, on this rank's local part (b may be NULL: then a's squares
 * only). The caller reduces over ranks. Rank-local. */
void training_lower_sums(const ntk_grid *grid, const ntk_dmatrix *a, const ntk_dmatrix *b,
                         double *difference2, double *reference2);

#endif
