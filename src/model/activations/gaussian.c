/* What the activations' closed-form Gaussian maps and the quadrature share. */
#include <math.h>

#include "model/activation.h"

/* Covariances arrive from floating-point recursions: rho is clamped, and a
 * zero variance is the deterministic case it is rather than a division by 0. */
double ntk_gaussian_correlation(double s11, double s12, double s22)
{
    if (!(s11 > 0.0) || !(s22 > 0.0))
        return 0.0;
    double rho = s12 / sqrt(s11 * s22);
    return rho > 1.0 ? 1.0 : (rho < -1.0 ? -1.0 : rho);
}

void ntk_activation_parameters(ntk_activation act, const int64_t *option, double *parameter)
{
    const ntk_layer_ops *ops = &act->layer;
    int64_t defaults[NTK_LAYER_MAX_OPTIONS];
    if (option == NULL) {
        ntk_layer_default_options(ops, defaults);
        option = defaults;
    }
    for (int i = 0; i < NTK_ACTIVATION_MAX_PARAMETERS; ++i)
        parameter[i] = i < ops->n_options && ops->options[i].kind == NTK_OPTION_REAL
                           ? ntk_option_real(option, ops->options[i].slot)
                           : 0.0;
}

ntk_moments ntk_gaussian_ab_relu(double a, double b, double slope_at_zero, double s11,
                                 double s12, double s22)
{
    static const double pi = 3.14159265358979323846;
    ntk_moments result;
    if (!(s11 > 0.0) || !(s22 > 0.0)) {
        /* At least one of u, v is surely 0, where phi is 0: independent
         * factors, E[phi'(u)] = (a + b) / 2 or phi'(0). */
        double slope_1 = s11 > 0.0 ? 0.5 * (a + b) : slope_at_zero;
        double slope_2 = s22 > 0.0 ? 0.5 * (a + b) : slope_at_zero;
        result.phi = 0.0;
        result.phi_prime = slope_1 * slope_2;
        return result;
    }
    double rho = ntk_gaussian_correlation(s11, s12, s22);
    double angle = acos(rho);
    double sine = sqrt(fmax(0.0, 1.0 - rho * rho)); /* sin(acos rho), without cancellation */
    double product = sqrt(s11 * s22), spread = (a - b) * (a - b);
    result.phi =
        spread * product / (2.0 * pi) * (sine + (pi - angle) * rho) + a * b * rho * product;
    result.phi_prime = spread * (pi - angle) / (2.0 * pi) + a * b;
    return result;
}
