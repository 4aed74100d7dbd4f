/* silu(z) = z sigmoid(z) (torch's nn.SiLU, also called swish),
 * silu'(z) = sigmoid(z) (1 + z (1 - sigmoid(z))). No closed form for its
 * Gaussian maps: the analytic kernel integrates them by quadrature. */
#include <math.h>

#include "model/activation.h"

static double logistic(double z)
{
    if (z >= 0.0)
        return 1.0 / (1.0 + exp(-z));
    const double e = exp(z);
    return e / (1.0 + e);
}

static double silu(double z, const double *parameter)
{
    (void)parameter;
    return z * logistic(z);
}

static double silu_prime(double z, const double *parameter)
{
    (void)parameter;
    const double s = logistic(z);
    return s * (1.0 + z * (1.0 - s));
}

const ntk_activation_ops ntk_activation_silu = {
    .layer = NTK_ACTIVATION_LAYER(ntk_activation_silu, "silu"),
    .phi = silu,
    .phi_prime = silu_prime,
};
