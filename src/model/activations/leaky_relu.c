/* leaky_relu(z) = z for z > 0, slope z otherwise (torch's nn.LeakyReLU,
 * negative_slope 0.01 by default), with leaky_relu'(0) = slope as torch's
 * autograd has it. Written `leaky_relu` (slope 0.01), `{leaky_relu: 0.2}` or
 * `{leaky_relu: {slope: 0.2}}`. Its Gaussian maps are scaled arc-cosine
 * kernels (neural-tangents' stax.LeakyRelu = ABRelu(slope, 1)), in closed
 * form (activations/gaussian.c). */
#include <math.h>

#include "model/activation.h"

static const ntk_layer_option leaky_relu_options[] = {
    {.key = "slope", .kind = NTK_OPTION_REAL, .slot = 0,
     .requirement = "a finite number (the slope for z < 0)", .real_minimum = -1e300,
     .real_maximum = 1e300, .real_default = 0.01},
};

static double leaky_relu(double z, const double *parameter)
{
    return z > 0.0 ? z : parameter[0] * z;
}

static double leaky_relu_prime(double z, const double *parameter)
{
    return z > 0.0 ? 1.0 : parameter[0];
}

static void leaky_relu_apply(const double *in, int64_t n, const double *parameter, double *out,
                             double *slope)
{
    const double negative = parameter[0];
    for (int64_t e = 0; e < n; ++e) {
        const double z = in[e];
        slope[e] = z > 0.0 ? 1.0 : negative;
        out[e] = z > 0.0 ? z : negative * z;
    }
}

static ntk_moments leaky_relu_gaussian(double s11, double s12, double s22,
                                       const double *parameter)
{
    return ntk_gaussian_ab_relu(parameter[0], 1.0, parameter[0], s11, s12, s22);
}

const ntk_activation_ops ntk_activation_leaky_relu = {
    .layer = NTK_ACTIVATION_LAYER_WITH_OPTIONS(ntk_activation_leaky_relu, "leaky_relu",
                                               leaky_relu_options, 1),
    .phi = leaky_relu,
    .phi_prime = leaky_relu_prime,
    .apply = leaky_relu_apply,
    .gaussian = leaky_relu_gaussian,
};
