/* tanh(z), tanh'(z) = 1 - tanh(z)^2. No closed form for its Gaussian maps:
 * the analytic kernel integrates them by quadrature. */
#include <math.h>

#include "model/activation.h"

static double tanh_phi(double z, const double *parameter)
{
    (void)parameter;
    return tanh(z);
}

static double tanh_prime(double z, const double *parameter)
{
    (void)parameter;
    double t = tanh(z);
    return 1.0 - t * t;
}

const ntk_activation_ops ntk_activation_tanh = {
    .layer = NTK_ACTIVATION_LAYER(ntk_activation_tanh, "tanh"),
    .phi = tanh_phi,
    .phi_prime = tanh_prime,
};
