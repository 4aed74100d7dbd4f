/* The Gaussian expectations one layer of the infinite-width recursion needs:
 * E[phi(u) phi(v)] (the next NNGP entry) and E[phi'(u) phi'(v)] (the factor on
 * the previous NTK), for (u, v) ~ N(0, [[s11, s12], [s12, s22]]).
 *
 * An activation with a closed form states it in its own file
 * (model/activations/: identity, relu, erf, leaky_relu, abs); every other one is integrated by
 * a tensor Gauss-Hermite rule on the Cholesky factor
 * u = sqrt(s11) z1, v = sqrt(s22) (rho z1 + sqrt(1 - rho^2) z2), evaluating
 * the activation's own phi and phi' so the limit is the one of exactly the
 * network the empirical kernels differentiate.
 *
 * Covariances arrive from floating-point recursions, so rho is clamped to
 * [-1, 1] and a zero variance (u == 0 surely, e.g. x = 0 without biases) is
 * handled as the deterministic value it is rather than dividing by zero. */
#include <math.h>

#include "kernel/analytic.h"
#include "model/model.h"

int analytic_has_closed_form(ntk_activation act) { return model_activation_has_closed_form(act); }

analytic_moments analytic_expect_quadrature_with(ntk_activation act, const double *parameter,
                                                 double s11, double s12, double s22, int order)
{
    analytic_moments result = {NAN, NAN};
    const double *node = NULL, *weight = NULL;
    if (analytic_gauss_hermite(order, &node, &weight) != NTK_OK)
        return result;
    double (*const phi)(double, const double *) = act->phi;
    double (*const phi_prime)(double, const double *) = act->phi_prime;
    double sd_1 = sqrt(fmax(0.0, s11)), sd_2 = sqrt(fmax(0.0, s22));
    double rho = ntk_gaussian_correlation(s11, s12, s22);
    double independent = sqrt(fmax(0.0, 1.0 - rho * rho));
    double sum_phi = 0.0, sum_phi_prime = 0.0;
    for (int i = 0; i < order; i++) {
        double u = sd_1 * node[i];
        double v_shared = sd_2 * rho * node[i];
        double inner_phi, inner_phi_prime;
        if (independent == 0.0) {
            /* Perfectly (anti-)correlated: v is a function of z1 alone. */
            inner_phi = phi(v_shared, parameter);
            inner_phi_prime = phi_prime(v_shared, parameter);
        } else {
            inner_phi = 0.0;
            inner_phi_prime = 0.0;
            for (int j = 0; j < order; j++) {
                double v = v_shared + sd_2 * independent * node[j];
                inner_phi += weight[j] * phi(v, parameter);
                inner_phi_prime += weight[j] * phi_prime(v, parameter);
            }
        }
        sum_phi += weight[i] * phi(u, parameter) * inner_phi;
        sum_phi_prime += weight[i] * phi_prime(u, parameter) * inner_phi_prime;
    }
    result.phi = sum_phi;
    result.phi_prime = sum_phi_prime;
    return result;
}

analytic_moments analytic_expect_with(ntk_activation act, const double *parameter, double s11,
                                      double s12, double s22, int quadrature_order)
{
    if (act->gaussian != NULL)
        return act->gaussian(s11, s12, s22, parameter);
    return analytic_expect_quadrature_with(act, parameter, s11, s12, s22, quadrature_order);
}

analytic_moments analytic_expect(ntk_activation act, double s11, double s12, double s22,
                                 int quadrature_order)
{
    double parameter[NTK_ACTIVATION_MAX_PARAMETERS];
    ntk_activation_parameters(act, NULL, parameter);
    return analytic_expect_with(act, parameter, s11, s12, s22, quadrature_order);
}

analytic_moments analytic_expect_quadrature(ntk_activation act, double s11, double s12,
                                            double s22, int order)
{
    double parameter[NTK_ACTIVATION_MAX_PARAMETERS];
    ntk_activation_parameters(act, NULL, parameter);
    return analytic_expect_quadrature_with(act, parameter, s11, s12, s22, order);
}
