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
