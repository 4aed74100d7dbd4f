/* The infinite-width recursion for one pair of inputs (docs/design.md, "Infinite width";
 * ntk parameterisation c_l = w_std / sqrt(n_{l-1}), s_l = b_std):
 *
 *   Sigma_1 = w^2 <x, x'> / d + b^2,  Theta_1 = Sigma_1
 *   per hidden layer l = 1..L, with (u, v) ~ N(0, Sigma_l on {x, x'}):
 *     Sigma_{l+1} = w^2 E[phi_l(u) phi_l(v)] + b^2
 *     Theta_{l+1} = Sigma_{l+1} + w^2 E[phi_l'(u) phi_l'(v)] Theta_l
 *
 * The last step is the readout layer L+1, which has no activation of its
 * own; a model without hidden layers is linear and Theta = Sigma_1. Only the
 * cross entry of Theta is needed, but Sigma is carried on the whole 2 x 2
 * block because the next layer's Gaussian needs both variances. */
#include "kernel/analytic.h"

static double dot(const double *a, const double *b, int64_t n)
{
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++)
        sum += a[i] * b[i];
    return sum;
}

void analytic_pair(const ntk_model_spec *spec, int64_t dim, int quadrature_order,
                   const double *x, const double *x_prime, double *theta, double *nngp)
{
    double w2 = spec->w_std * spec->w_std, b2 = spec->b_std * spec->b_std;
    double sigma_11 = w2 * dot(x, x, dim) / (double)dim + b2;
    double sigma_22 = w2 * dot(x_prime, x_prime, dim) / (double)dim + b2;
    double sigma_12 = w2 * dot(x, x_prime, dim) / (double)dim + b2;
    double theta_12 = sigma_12;

    for (int layer = 0; layer + 1 < spec->n_dense; layer++) {
        ntk_activation act = spec->act[layer];
        analytic_moments cross = analytic_expect(act, sigma_11, sigma_12, sigma_22, quadrature_order);
        /* x == x' needs only the cross term; otherwise the variances go on. */
        double next_11, next_22;
        if (x == x_prime) {
            next_11 = next_22 = w2 * cross.phi + b2;
        } else {
            next_11 = w2 * analytic_expect(act, sigma_11, sigma_11, sigma_11, quadrature_order).phi + b2;
            next_22 = w2 * analytic_expect(act, sigma_22, sigma_22, sigma_22, quadrature_order).phi + b2;
        }
        double next_12 = w2 * cross.phi + b2;
        theta_12 = next_12 + w2 * cross.phi_prime * theta_12;
        sigma_11 = next_11;
        sigma_22 = next_22;
        sigma_12 = next_12;
    }
    if (theta)
        *theta = theta_12;
    if (nngp)
        *nngp = sigma_12;
}
