/* The gradient of the training loss from one block of inputs.
 *
 *   loss = 1/(2 N k) sum_{x,o} r_o(x)^2,  r = f - y
 *   dL/dtheta = (1 / (N k)) sum_{x,o} r_o(x) d f_o(x) / dtheta
 *
 * which is each layer's param_vjp (model/layer.h) with the residuals as the
 * row weights: dense dL/dW_l = (c_l / (N k)) sum_x E_l(x) h_{l-1}(x)^T with
 * E_l(x) = sum_o r_o(x) delta_l^o(x); conv the same over its patches. Every
 * layer type with parameters and these ops can be trained.
 *
 * Rank-local: each rank handles its own input block; the caller sums the
 * blocks over ranks (MPI_Allreduce) because the loss is a sum over inputs. */
#ifndef NTK_TRAIN_GRADIENT_H
#define NTK_TRAIN_GRADIENT_H

#include <stdint.h>

#include "core/status.h"
#include "model/model.h"

/* `features` of the current parameters for `count` inputs, `targets` their
 * count x k targets, `normaliser` = N k over ALL inputs. Writes this block's
 * share of the gradient into `gradient` (n_params, parameter order of
 * model.h) and the block's sum of squared residuals into *squared_error. */
ntk_status training_block_gradient(const ntk_model *model, const ntk_features *features,
                                   const double *targets, double normaliser, double *gradient,
                                   double *squared_error);

#endif
