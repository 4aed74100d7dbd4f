/* erf(z), erf'(z) = 2 / sqrt(pi) exp(-z^2). Its Gaussian maps (Williams 1997
 * and its derivative kernel), with a_i = 1 + 2 s_ii:
 *   E[erf(u) erf(v)]   = 2 / pi asin(2 s12 / sqrt(a_1 a_2))
 *   E[erf'(u) erf'(v)] = 4 / pi / sqrt(a_1 a_2 - 4 s12^2). */
#include <math.h>

#include "model/activation.h"

static const double pi = 3.14159265358979323846;
static const double two_over_sqrt_pi = 1.12837916709551257390;

static double erf_phi(double z, const double *parameter)
{
    (void)parameter;
    return erf(z);
}

static double erf_prime(double z, const double *parameter)
{
    (void)parameter;
    return two_over_sqrt_pi * exp(-z * z);
}

static ntk_moments erf_gaussian(double s11, double s12, double s22, const double *parameter)
{
    (void)parameter;
    /* Keep the covariance positive semi-definite against rounding. */
    double bound = sqrt(fmax(0.0, s11) * fmax(0.0, s22));
    if (s12 > bound)
        s12 = bound;
    if (s12 < -bound)
        s12 = -bound;
    double scale_1 = 1.0 + 2.0 * fmax(0.0, s11), scale_2 = 1.0 + 2.0 * fmax(0.0, s22);
    double argument = 2.0 * s12 / sqrt(scale_1 * scale_2);
    argument = argument > 1.0 ? 1.0 : (argument < -1.0 ? -1.0 : argument);
    ntk_moments result;
    result.phi = 2.0 / pi * asin(argument);
    result.phi_prime = 4.0 / pi / sqrt(scale_1 * scale_2 - 4.0 * s12 * s12);
    return result;
}

const ntk_activation_ops ntk_activation_erf = {
    .layer = NTK_ACTIVATION_LAYER(ntk_activation_erf, "erf"),
    .phi = erf_phi,
    .phi_prime = erf_prime,
    .gaussian = erf_gaussian,
};
