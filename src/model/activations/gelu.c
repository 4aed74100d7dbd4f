/* The exact GELU, z Phi(z) with Phi the standard normal CDF (not the tanh
 * approximation); gelu'(z) = Phi(z) + z phi_N(z). No closed form for its
 * Gaussian maps: the analytic kernel integrates them by quadrature. */
#include <math.h>

#include "model/activation.h"

static const double inverse_sqrt_2 = 0.70710678118654752440;
static const double inverse_sqrt_2pi = 0.39894228040143267794;

/* Standard normal CDF; erfc keeps full relative accuracy in the left tail. */
static double normal_cdf(double z) { return 0.5 * erfc(-z * inverse_sqrt_2); }

static double gelu(double z, const double *parameter)
{
    (void)parameter;
    return z * normal_cdf(z);
}

static double gelu_prime(double z, const double *parameter)
{
    (void)parameter;
    return normal_cdf(z) + z * inverse_sqrt_2pi * exp(-0.5 * z * z);
}

const ntk_activation_ops ntk_activation_gelu = {
    .layer = NTK_ACTIVATION_LAYER(ntk_activation_gelu, "gelu"),
    .phi = gelu,
    .phi_prime = gelu_prime,
};
