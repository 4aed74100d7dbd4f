/* relu(z) = max(z, 0), with relu'(0) = 0 (the convention of JAX and PyTorch
 * autograd). Its Gaussian maps are the arc-cosine kernels of degree 1 and 0
 * (Cho & Saul 2009):
 *   E[relu(u) relu(v)]   = sqrt(s11 s22) / (2 pi) (sin t + (pi - t) cos t)
 *   E[relu'(u) relu'(v)] = (pi - t) / (2 pi),   cos t = rho. */
#include <math.h>

#include "model/activation.h"

static const double pi = 3.14159265358979323846;

static double relu(double z, const double *parameter)
{
    (void)parameter;
    return z > 0.0 ? z : 0.0;
}

static double relu_prime(double z, const double *parameter)
{
    (void)parameter;
    return z > 0.0 ? 1.0 : 0.0;
}

/* The common case as a plain loop the compiler vectorises. */
static void relu_apply(const double *in, int64_t n, const double *parameter, double *out,
                           double *slope)
{
    (void)parameter;
    for (int64_t e = 0; e < n; ++e) {
        slope[e] = in[e] > 0.0 ? 1.0 : 0.0;
        out[e] = in[e] > 0.0 ? in[e] : 0.0;
    }
}

static ntk_moments relu_gaussian(double s11, double s12, double s22, const double *parameter)
{
    (void)parameter;
    ntk_moments result;
    if (!(s11 > 0.0) || !(s22 > 0.0)) {
        /* At least one of u, v is surely 0: independent factors,
         * E[relu(u)] = sqrt(s / (2 pi)), E[relu'(u)] = 1/2 or relu'(0). */
        double mean_1 = s11 > 0.0 ? sqrt(s11 / (2.0 * pi)) : relu(0.0, NULL);
        double mean_2 = s22 > 0.0 ? sqrt(s22 / (2.0 * pi)) : relu(0.0, NULL);
        double slope_1 = s11 > 0.0 ? 0.5 : relu_prime(0.0, NULL);
        double slope_2 = s22 > 0.0 ? 0.5 : relu_prime(0.0, NULL);
        result.phi = mean_1 * mean_2;
        result.phi_prime = slope_1 * slope_2;
        return result;
    }
    double rho = ntk_gaussian_correlation(s11, s12, s22);
    double angle = acos(rho);
    double sine = sqrt(fmax(0.0, 1.0 - rho * rho)); /* sin(acos rho), without cancellation */
    result.phi = sqrt(s11 * s22) / (2.0 * pi) * (sine + (pi - angle) * rho);
    result.phi_prime = (pi - angle) / (2.0 * pi);
    return result;
}

const ntk_activation_ops ntk_activation_relu = {
    .layer = NTK_ACTIVATION_LAYER(ntk_activation_relu, "relu"),
    .phi = relu,
    .phi_prime = relu_prime,
    .apply = relu_apply,
    .gaussian = relu_gaussian,
};
