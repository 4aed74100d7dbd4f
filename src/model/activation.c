/* Activations phi and their derivatives phi'. GELU is the exact one,
 * x * Phi(x) with Phi the standard normal CDF (not the tanh approximation),
 * and relu'(0) = 0 (the convention of JAX and PyTorch autograd). */
#include <math.h>

#include "model/model.h"

static const double inverse_sqrt_2 = 0.70710678118654752440;
static const double inverse_sqrt_2pi = 0.39894228040143267794;
static const double two_over_sqrt_pi = 1.12837916709551257390;

/* Standard normal CDF; erfc keeps full relative accuracy in the left tail. */
static double normal_cdf(double z) { return 0.5 * erfc(-z * inverse_sqrt_2); }

double model_phi(ntk_activation act, double z)
{
    switch (act) {
    case NTK_ACT_IDENTITY: return z;
    case NTK_ACT_RELU: return z > 0.0 ? z : 0.0;
    case NTK_ACT_ERF: return erf(z);
    case NTK_ACT_TANH: return tanh(z);
    case NTK_ACT_GELU: return z * normal_cdf(z);
    }
    return z;
}

double model_phi_prime(ntk_activation act, double z)
{
    switch (act) {
    case NTK_ACT_IDENTITY: return 1.0;
    case NTK_ACT_RELU: return z > 0.0 ? 1.0 : 0.0;
    case NTK_ACT_ERF: return two_over_sqrt_pi * exp(-z * z);
    case NTK_ACT_TANH: {
        double t = tanh(z);
        return 1.0 - t * t;
    }
    case NTK_ACT_GELU: return normal_cdf(z) + z * inverse_sqrt_2pi * exp(-0.5 * z * z);
    }
    return 1.0;
}
