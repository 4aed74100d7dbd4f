/* sigmoid(z) = 1 / (1 + e^-z), sigmoid'(z) = sigmoid(z) (1 - sigmoid(z)).
 * No closed form for its Gaussian maps: the analytic kernel integrates them
 * by quadrature. */
#include <math.h>

#include "model/activation.h"

/* e^-|z| never overflows: the two branches are the same function. */
static double logistic(double z)
{
    if (z >= 0.0)
        return 1.0 / (1.0 + exp(-z));
    const double e = exp(z);
    return e / (1.0 + e);
}

static double sigmoid(double z, const double *parameter)
{
    (void)parameter;
    return logistic(z);
}

static double sigmoid_prime(double z, const double *parameter)
{
    (void)parameter;
    const double s = logistic(z);
    return s * (1.0 - s);
}

const ntk_activation_ops ntk_activation_sigmoid = {
    .layer = NTK_ACTIVATION_LAYER(ntk_activation_sigmoid, "sigmoid"),
    .phi = sigmoid,
    .phi_prime = sigmoid_prime,
};
