/* Predicted training loss from the eigen-decomposition at initialisation
 * (formulas in prediction.h). The rates are recomputed from the eigenvalues
 * because training.learning_rate may differ from dynamics.learning_rate,
 * which modes->rate was computed with. */
#include "train/prediction.h"

#include <math.h>

double training_predicted_loss(const ntk_spectrum *spectrum, const ntk_modes *modes,
                               double learning_rate, double normaliser, int64_t step,
                               training_prediction_kind kind)
{
    double resolved = 0.0;
    for (int64_t i = 0; i < modes->n_pairs; ++i) {
        const double rate = learning_rate * spectrum->values[i] / normaliser;
        const double decay = kind == TRAINING_PREDICT_DISCRETE
                                 ? pow(1.0 - rate, 2.0 * (double)step)
                                 : exp(-2.0 * rate * (double)step);
        resolved += decay * modes->target_energy[i];
    }
    /* Rounding can make 1 - sum(E_i) a tiny negative number. */
    const double unresolved = modes->unresolved_energy > 0.0 ? modes->unresolved_energy : 0.0;
    return modes->residual_norm2 * (resolved + unresolved) / (2.0 * normaliser);
}
