/* The loss the spectrum at initialisation predicts for gradient descent.
 *
 * Linearised around the initial parameters, full-batch gradient descent with
 * learning rate eta moves the residual in eigenmode i of Theta_0 by the factor
 * (1 - rate_i) per step, rate_i = eta lambda_i / (N k). So after t steps
 *
 *   L(t) = 1/(2 N k) ||r_0||^2 ( sum_i g_i(t) E_i + U )
 *
 * with E_i the target energy of mode i, U the energy outside the computed
 * modes (kept constant: those modes are not resolved, so no decay is
 * claimed for them) and
 *   discrete (exact for GD on the linearised model):  g_i(t) = (1 - rate_i)^(2t)
 *   continuous (gradient flow):                       g_i(t) = exp(-2 rate_i t)
 *   (docs/design.md, "Training dynamics and modes")
 * The two agree when rate_i << 1; training.csv's predicted_loss is the
 * discrete one because the network is trained with discrete steps. */
#ifndef NTK_TRAIN_PREDICTION_H
#define NTK_TRAIN_PREDICTION_H

#include <stdint.h>

#include "spectrum/spectrum.h"

typedef enum { TRAINING_PREDICT_DISCRETE = 0, TRAINING_PREDICT_CONTINUOUS } training_prediction_kind;

/* Predicted loss after `step` steps at learning rate `learning_rate`;
 * `normaliser` = N k. Requires modes->have_targets. */
double training_predicted_loss(const ntk_spectrum *spectrum, const ntk_modes *modes,
                               double learning_rate, double normaliser, int64_t step,
                               training_prediction_kind kind);

#endif
