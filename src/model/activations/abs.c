/* abs(z) = |z|, abs'(z) = sign(z) with abs'(0) = 0 (torch's autograd). Its
 * Gaussian maps are scaled arc-cosine kernels (neural-tangents' stax.Abs =
 * ABRelu(-1, 1)), in closed form (activations/gaussian.c):
 *   E[|u| |v|] = 4 sqrt(s11 s22) J1 - s12,  E[sign u sign v] = 1 - 2 t / pi. */
#include <math.h>

#include "model/activation.h"

static double abs_phi(double z, const double *parameter)
{
    (void)parameter;
    return fabs(z);
}

static double abs_prime(double z, const double *parameter)
{
    (void)parameter;
    return z > 0.0 ? 1.0 : (z < 0.0 ? -1.0 : 0.0);
}

static ntk_moments abs_gaussian(double s11, double s12, double s22, const double *parameter)
{
    (void)parameter;
    return ntk_gaussian_ab_relu(-1.0, 1.0, 0.0, s11, s12, s22);
}

const ntk_activation_ops ntk_activation_abs = {
    .layer = NTK_ACTIVATION_LAYER(ntk_activation_abs, "abs"),
    .phi = abs_phi,
    .phi_prime = abs_prime,
    .gaussian = abs_gaussian,
};
