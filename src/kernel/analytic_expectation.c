/* The Gaussian expectations one layer of the infinite-width recursion needs:
 * E[phi(u) phi(v)] (the next NNGP entry) and E[phi'(u) phi'(v)] (the factor on
 * the previous NTK), for (u, v) ~ N(0, [[s11, s12], [s12, s22]]).
 *
 * Closed forms: identity exactly; relu by the arc-cosine kernel of degree 1
 * and 0 (Cho & Saul 2009); erf by Williams (1997) and its derivative kernel.
 * Everything else by a tensor Gauss-Hermite rule on the Cholesky factor
 * u = sqrt(s11) z1, v = sqrt(s22) (rho z1 + sqrt(1 - rho^2) z2), evaluating
 * the activation through model_phi / model_phi_prime so the limit is the
 * one of exactly the network the empirical kernels differentiate.
 *
 * Covariances arrive from floating-point recursions, so rho is clamped to
 * [-1, 1] and a zero variance (u == 0 surely, e.g. x = 0 without biases) is
 * handled as the deterministic value it is rather than dividing by zero. */
#include <math.h>

#include "kernel/analytic.h"
#include "model/model.h"

static const double pi = 3.14159265358979323846;

/* Correlation from a covariance, clamped; 0 when a variance vanishes (then
 * the two variables are independent: one of them is a constant). */
static double correlation(double s11, double s12, double s22)
{
    if (!(s11 > 0.0) || !(s22 > 0.0))
        return 0.0;
    double rho = s12 / sqrt(s11 * s22);
    return rho > 1.0 ? 1.0 : (rho < -1.0 ? -1.0 : rho);
}

static analytic_moments relu_moments(double s11, double s12, double s22)
{
    analytic_moments result;
    if (!(s11 > 0.0) || !(s22 > 0.0)) {
        /* At least one of u, v is surely 0: independent factors,
         * E[relu(u)] = sqrt(s / (2 pi)), E[relu'(u)] = 1/2 or relu'(0). */
        double mean_1 = s11 > 0.0 ? sqrt(s11 / (2.0 * pi)) : model_phi(NTK_ACT_RELU, 0.0);
        double mean_2 = s22 > 0.0 ? sqrt(s22 / (2.0 * pi)) : model_phi(NTK_ACT_RELU, 0.0);
        double slope_1 = s11 > 0.0 ? 0.5 : model_phi_prime(NTK_ACT_RELU, 0.0);
        double slope_2 = s22 > 0.0 ? 0.5 : model_phi_prime(NTK_ACT_RELU, 0.0);
        result.phi = mean_1 * mean_2;
        result.phi_prime = slope_1 * slope_2;
        return result;
    }
    double rho = correlation(s11, s12, s22);
    double angle = acos(rho);
    double sine = sqrt(fmax(0.0, 1.0 - rho * rho)); /* sin(acos rho), without cancellation */
    result.phi = sqrt(s11 * s22) / (2.0 * pi) * (sine + (pi - angle) * rho);
    result.phi_prime = (pi - angle) / (2.0 * pi);
    return result;
}

static analytic_moments erf_moments(double s11, double s12, double s22)
{
    /* Keep the covariance positive semi-definite against rounding. */
    double bound = sqrt(fmax(0.0, s11) * fmax(0.0, s22));
    if (s12 > bound)
        s12 = bound;
    if (s12 < -bound)
        s12 = -bound;
    double scale_1 = 1.0 + 2.0 * fmax(0.0, s11), scale_2 = 1.0 + 2.0 * fmax(0.0, s22);
    double argument = 2.0 * s12 / sqrt(scale_1 * scale_2);
    argument = argument > 1.0 ? 1.0 : (argument < -1.0 ? -1.0 : argument);
    analytic_moments result;
    result.phi = 2.0 / pi * asin(argument);
    result.phi_prime = 4.0 / pi / sqrt(scale_1 * scale_2 - 4.0 * s12 * s12);
    return result;
}

/* The activation layers own the fact (model/layers/activation.c). */
int analytic_has_closed_form(ntk_activation act) { return model_activation_has_closed_form(act); }

analytic_moments analytic_expect_quadrature(ntk_activation act, double s11, double s12,
                                            double s22, int order)
{
    analytic_moments result = {NAN, NAN};
    const double *node = NULL, *weight = NULL;
    if (analytic_gauss_hermite(order, &node, &weight) != NTK_OK)
        return result;
    double sd_1 = sqrt(fmax(0.0, s11)), sd_2 = sqrt(fmax(0.0, s22));
    double rho = correlation(s11, s12, s22);
    double independent = sqrt(fmax(0.0, 1.0 - rho * rho));
    double sum_phi = 0.0, sum_phi_prime = 0.0;
    for (int i = 0; i < order; i++) {
        double u = sd_1 * node[i];
        double v_shared = sd_2 * rho * node[i];
        double inner_phi, inner_phi_prime;
        if (independent == 0.0) {
            /* Perfectly (anti-)correlated: v is a function of z1 alone. */
            inner_phi = model_phi(act, v_shared);
            inner_phi_prime = model_phi_prime(act, v_shared);
        } else {
            inner_phi = 0.0;
            inner_phi_prime = 0.0;
            for (int j = 0; j < order; j++) {
                double v = v_shared + sd_2 * independent * node[j];
                inner_phi += weight[j] * model_phi(act, v);
                inner_phi_prime += weight[j] * model_phi_prime(act, v);
            }
        }
        sum_phi += weight[i] * model_phi(act, u) * inner_phi;
        sum_phi_prime += weight[i] * model_phi_prime(act, u) * inner_phi_prime;
    }
    result.phi = sum_phi;
    result.phi_prime = sum_phi_prime;
    return result;
}

analytic_moments analytic_expect(ntk_activation act, double s11, double s12, double s22,
                                 int quadrature_order)
{
    switch (act) {
    case NTK_ACT_IDENTITY: {
        analytic_moments result = {s12, 1.0};
        return result;
    }
    case NTK_ACT_RELU:
        return relu_moments(s11, s12, s22);
    case NTK_ACT_ERF:
        return erf_moments(s11, s12, s22);
    default:
        return analytic_expect_quadrature(act, s11, s12, s22, quadrature_order);
    }
}
