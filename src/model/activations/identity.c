/* identity(z) = z: exactly linear, so its Gaussian maps are the covariance
 * itself and 1. Written explicitly it is a layer that does nothing (a dense
 * layer without an activation after it uses identity). */
#include <string.h>

#include "model/activation.h"

static double identity(double z, const double *parameter)
{
    (void)parameter;
    return z;
}

static double identity_prime(double z, const double *parameter)
{
    (void)parameter;
    (void)z;
    return 1.0;
}

static void identity_apply(const double *in, int64_t n, const double *parameter, double *out,
                           double *slope)
{
    (void)parameter;
    for (int64_t e = 0; e < n; ++e)
        slope[e] = 1.0;
    if (out != in)
        memcpy(out, in, (size_t)n * sizeof *out);
}

static ntk_moments identity_gaussian(double s11, double s12, double s22, const double *parameter)
{
    (void)parameter;
    (void)s11;
    (void)s22;
    ntk_moments result = {s12, 1.0};
    return result;
}

const ntk_activation_ops ntk_activation_identity = {
    .layer = NTK_ACTIVATION_LAYER(ntk_activation_identity, "identity"),
    .phi = identity,
    .phi_prime = identity_prime,
    .apply = identity_apply,
    .gaussian = identity_gaussian,
};
