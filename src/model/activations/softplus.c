/* softplus(z) = log(1 + e^z), softplus'(z) = 1 / (1 + e^-z), as torch's
 * nn.Softplus() computes them (beta 1, threshold 20): above z = 20 both are
 * linear, z and 1, so the network is exactly torch's. No closed form for its
 * Gaussian maps: the analytic kernel integrates them by quadrature (of this
 * very function, threshold included). */
#include <math.h>

#include "model/activation.h"

static const double torch_threshold = 20.0;

static double softplus(double z, const double *parameter)
{
    (void)parameter;
    if (z > torch_threshold)
        return z;
    return z > 0.0 ? z + log1p(exp(-z)) : log1p(exp(z)); /* no overflow for large z */
}

static double softplus_prime(double z, const double *parameter)
{
    (void)parameter;
    if (z > torch_threshold)
        return 1.0;
    if (z >= 0.0)
        return 1.0 / (1.0 + exp(-z));
    const double e = exp(z);
    return e / (1.0 + e);
}

const ntk_activation_ops ntk_activation_softplus = {
    .layer = NTK_ACTIVATION_LAYER(ntk_activation_softplus, "softplus"),
    .phi = softplus,
    .phi_prime = softplus_prime,
};
