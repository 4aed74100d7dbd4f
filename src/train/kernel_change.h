/* How much the empirical NTK moved during training:
 *   ||Theta_T - Theta_0||_F / ||Theta_0||_F
 * with Theta_T recomputed at the trained parameters on the same inputs and
 * grid. Both matrices are symmetric, so only their lower triangles are read
 * (off-diagonal entries counted twice): Theta_T is assembled lower-only,
 * which halves the work, and Theta_0 may be whole or lower-only. */
#ifndef NTK_TRAIN_KERNEL_CHANGE_H
#define NTK_TRAIN_KERNEL_CHANGE_H

#include "grid/grid.h"
#include "kernel/kernel.h"
#include "model/model.h"

/* Collective. */
ntk_status training_kernel_change(const ntk_kernel_config *config, const ntk_model *model,
                                  const ntk_grid *grid, const ntk_input_block *inputs,
                                  const ntk_dmatrix *theta_initial, double *change);

#endif
