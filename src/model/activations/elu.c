/* elu(z) = z for z > 0, alpha (e^z - 1) otherwise (torch's nn.ELU, alpha 1
 * by default), elu'(z) = 1 for z > 0, alpha e^z otherwise (so elu'(0) =
 * alpha, as torch's autograd has it). Written `elu` (alpha 1), `{elu: 0.5}`
 * or `{elu: {alpha: 0.5}}`. No closed form for its Gaussian maps: the
 * analytic kernel integrates them by quadrature. */
#include <math.h>

#include "model/activation.h"

static const ntk_layer_option elu_options[] = {
    {.key = "alpha", .kind = NTK_OPTION_REAL, .slot = 0,
     .requirement = "a finite number (elu(z) = alpha (e^z - 1) for z <= 0)",
     .real_minimum = -1e300, .real_maximum = 1e300, .real_default = 1.0},
};

static double elu(double z, const double *parameter)
{
    return z > 0.0 ? z : parameter[0] * expm1(z);
}

static double elu_prime(double z, const double *parameter)
{
    return z > 0.0 ? 1.0 : parameter[0] * exp(z);
}

const ntk_activation_ops ntk_activation_elu = {
    .layer = NTK_ACTIVATION_LAYER_WITH_OPTIONS(ntk_activation_elu, "elu", elu_options, 1),
    .phi = elu,
    .phi_prime = elu_prime,
};
