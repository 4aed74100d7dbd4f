/* Unit test of the infinite-width building blocks (src/kernel/analytic_*.c):
 *  - the Gauss-Hermite rule integrates Gaussian moments exactly;
 *  - erf closed forms against 2-D Gauss-Hermite of high order (1e-10);
 *  - relu closed forms against an independent polar quadrature (relu is
 *    homogeneous, so the radial integral is exact and only a piecewise smooth
 *    angular integral remains: Gauss-Legendre between the kinks, 1e-12), and
 *    the plain Gauss-Hermite estimate converging towards them;
 *  - every registered activation with a closed form (identity, relu, erf)
 *    against Monte-Carlo of its phi and phi' with 1e6 samples (4 standard
 *    errors);
 *  - the identity network against the explicit linear formula (exact);
 *  - the quadrature of every other one (tanh, gelu) converging as the order
 *    grows;
 *  - analytic_pair's recursion against a hand-written one for relu. */
#include <math.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/random.h"
#include "kernel/analytic.h"
#include "model/model.h"

static int failures = 0;
static const double pi = 3.14159265358979323846;

static void check(int ok, const char *what, double got, double want, double tolerance)
{
    if (!ok) {
        failures++;
        printf("FAIL %s: got %.17g want %.17g (|diff| %.3g, tolerance %.3g)\n", what, got,
               want, fabs(got - want), tolerance);
    }
}

static void check_close(const char *what, double got, double want, double tolerance)
{
    check(fabs(got - want) <= tolerance, what, got, want, tolerance);
}

typedef struct {
    double s11, s12, s22;
} covariance;

static const covariance cases[] = {
    {1.0, 0.5, 1.0},   {2.0, -1.2, 0.9}, {0.3, 0.29, 0.3}, {1.5, 0.0, 0.7},
    {0.8, -0.79, 0.8}, {1.0, 1.0, 1.0},  {2.5, 1.9, 1.7},  {0.05, 0.01, 3.0},
};
enum { N_CASES = sizeof cases / sizeof cases[0] };

/* Gauss-Legendre on [-1, 1] by Newton on the Legendre recurrence. */
static void gauss_legendre(int n, double *node, double *weight)
{
    for (int i = 0; i < n; i++) {
        double x = cos(pi * (i + 0.75) / (n + 0.5)), dp = 1.0;
        for (int iteration = 0; iteration < 100; iteration++) {
            double p0 = 1.0, p1 = x;
            for (int j = 2; j <= n; j++) {
                double p2 = ((2.0 * j - 1.0) * x * p1 - (j - 1.0) * p0) / j;
                p0 = p1;
                p1 = p2;
            }
            dp = n * (x * p1 - p0) / (x * x - 1.0);
            double step = p1 / dp;
            x -= step;
            if (fabs(step) < 1e-16)
                break;
        }
        node[i] = x;
        weight[i] = 2.0 / ((1.0 - x * x) * dp * dp);
    }
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* relu moments by polar coordinates: (u, v) = r (L11 cos t, L21 cos t + L22 sin t)
 * with r^2 ~ chi^2_2, E[r^2] = 2, independent of t ~ U[0, 2 pi). */
static analytic_moments relu_polar(covariance c)
{
    double l11 = sqrt(c.s11), l21 = c.s12 / l11, l22 = sqrt(fmax(0.0, c.s22 - l21 * l21));
    /* Kinks: u = 0 at t = pi/2, 3pi/2; v = 0 where l21 cos t + l22 sin t = 0. */
    double cuts[6] = {0.0, pi / 2, 3 * pi / 2, 0, 0, 2 * pi};
    double v_zero = atan2(-l21, l22);
    cuts[3] = fmod(v_zero + 4 * pi, 2 * pi);
    cuts[4] = fmod(v_zero + pi + 4 * pi, 2 * pi);
    qsort(cuts, 6, sizeof cuts[0], compare_doubles);
    enum { POINTS = 40 };
    double node[POINTS], weight[POINTS];
    gauss_legendre(POINTS, node, weight);
    double sum_phi = 0.0, sum_step = 0.0;
    for (int piece = 0; piece < 5; piece++) {
        double a = cuts[piece], b = cuts[piece + 1], half = (b - a) / 2;
        for (int i = 0; i < POINTS; i++) {
            double t = a + half * (node[i] + 1.0);
            double u = l11 * cos(t), v = l21 * cos(t) + l22 * sin(t);
            double both = (u > 0 && v > 0) ? 1.0 : 0.0;
            sum_phi += half * weight[i] * both * u * v;
            sum_step += half * weight[i] * both;
        }
    }
    analytic_moments m = {2.0 * sum_phi / (2 * pi), sum_step / (2 * pi)};
    return m;
}

/* Moments of a positively homogeneous phi (phi(r w) = r phi(w), phi'(r w) =
 * phi'(w) for r > 0: leaky_relu, abs) by the same polar rule, from the
 * activation's own phi and phi' on the unit circle, pieces cut at its kinks. */
static analytic_moments homogeneous_polar(ntk_activation act, const double *parameter,
                                          covariance c)
{
    double l11 = sqrt(c.s11), l21 = c.s12 / l11, l22 = sqrt(fmax(0.0, c.s22 - l21 * l21));
    double cuts[6] = {0.0, pi / 2, 3 * pi / 2, 0, 0, 2 * pi};
    double v_zero = atan2(-l21, l22);
    cuts[3] = fmod(v_zero + 4 * pi, 2 * pi);
    cuts[4] = fmod(v_zero + pi + 4 * pi, 2 * pi);
    qsort(cuts, 6, sizeof cuts[0], compare_doubles);
    enum { POINTS = 40 };
    double node[POINTS], weight[POINTS];
    gauss_legendre(POINTS, node, weight);
    double sum_phi = 0.0, sum_slope = 0.0;
    for (int piece = 0; piece < 5; piece++) {
        double a = cuts[piece], b = cuts[piece + 1], half = (b - a) / 2;
        for (int i = 0; i < POINTS; i++) {
            double t = a + half * (node[i] + 1.0);
            double u = l11 * cos(t), v = l21 * cos(t) + l22 * sin(t);
            sum_phi += half * weight[i] * act->phi(u, parameter) * act->phi(v, parameter);
            sum_slope +=
                half * weight[i] * act->phi_prime(u, parameter) * act->phi_prime(v, parameter);
        }
    }
    analytic_moments m = {2.0 * sum_phi / (2 * pi), sum_slope / (2 * pi)};
    return m;
}

/* leaky_relu (several slopes) and abs: the scaled arc-cosine closed forms
 * against the polar rule of their own phi, and the Gauss-Hermite quadrature
 * of order 256 within its kink-limited accuracy. */
static void test_ab_relu_closed_forms(void)
{
    const char *names[] = {"leaky_relu", "leaky_relu", "leaky_relu", "abs"};
    const double slopes[] = {0.01, 0.2, -0.5, 0.0};
    double worst_polar = 0.0, worst_gh = 0.0;
    for (int a = 0; a < 4; a++) {
        ntk_activation act = ntk_activation_find(names[a]);
        double parameter[NTK_ACTIVATION_MAX_PARAMETERS] = {slopes[a], 0.0};
        for (int c = 0; c < N_CASES; c++) {
            if (cases[c].s12 * cases[c].s12 >= cases[c].s11 * cases[c].s22)
                continue; /* rho = 1: the polar pieces degenerate; Monte-Carlo covers it */
            analytic_moments exact = analytic_expect_with(act, parameter, cases[c].s11,
                                                          cases[c].s12, cases[c].s22, 0);
            analytic_moments polar = homogeneous_polar(act, parameter, cases[c]);
            analytic_moments gh = analytic_expect_quadrature_with(
                act, parameter, cases[c].s11, cases[c].s12, cases[c].s22, 256);
            char what[96];
            snprintf(what, sizeof what, "%s(%g) closed form vs polar quadrature (case %d)",
                     names[a], slopes[a], c);
            check_close(what, exact.phi, polar.phi, 1e-12);
            check_close(what, exact.phi_prime, polar.phi_prime, 1e-12);
            snprintf(what, sizeof what, "%s(%g) closed form vs Gauss-Hermite 256 (case %d)",
                     names[a], slopes[a], c);
            check_close(what, exact.phi, gh.phi, 5e-3);
            check_close(what, exact.phi_prime, gh.phi_prime, 3e-2); /* steps: slow */
            worst_polar = fmax(worst_polar, fmax(fabs(exact.phi - polar.phi),
                                                 fabs(exact.phi_prime - polar.phi_prime)));
            worst_gh = fmax(worst_gh, fmax(fabs(exact.phi - gh.phi),
                                           fabs(exact.phi_prime - gh.phi_prime)));
        }
    }
    printf("leaky_relu, abs closed forms vs polar quadrature: max |diff| %.2e; vs Gauss-Hermite "
           "256: %.2e\n", worst_polar, worst_gh);
}

static void test_gauss_hermite(void)
{
    const double *node, *weight;
    int orders[] = {1, 2, 7, 32, 256, 1024};
    for (size_t o = 0; o < sizeof orders / sizeof orders[0]; o++) {
        int order = orders[o];
        if (analytic_gauss_hermite(order, &node, &weight) != NTK_OK) {
            failures++;
            printf("FAIL: Gauss-Hermite order %d could not be built\n", order);
            continue;
        }
        /* E[Z^(2m)] = (2m-1)!! for 2m < 2 order. */
        double double_factorial = 1.0;
        for (int m = 0; 2 * m < 2 * order && m <= 12; m++) {
            if (m > 0)
                double_factorial *= 2 * m - 1;
            double moment = 0.0, odd = 0.0;
            for (int i = 0; i < order; i++) {
                moment += weight[i] * pow(node[i], 2 * m);
                odd += weight[i] * pow(node[i], 2 * m + 1);
            }
            char what[96];
            snprintf(what, sizeof what, "Gauss-Hermite order %d: E[Z^%d]", order, 2 * m);
            check_close(what, moment, double_factorial, 1e-12 * double_factorial);
            snprintf(what, sizeof what, "Gauss-Hermite order %d: E[Z^%d]", order, 2 * m + 1);
            if (2 * m + 1 < 2 * order)
                check_close(what, odd, 0.0, 1e-12 * double_factorial * 10);
        }
    }
    check(analytic_gauss_hermite(0, &node, &weight) != NTK_OK, "order 0 refused", 0, 0, 0);
    check(analytic_gauss_hermite(ANALYTIC_MAX_QUADRATURE_ORDER + 1, &node, &weight) != NTK_OK,
          "order above the maximum refused", 0, 0, 0);
}

static void test_erf_against_quadrature(void)
{
    double worst = 0.0;
    for (int c = 0; c < N_CASES; c++) {
        analytic_moments exact = analytic_expect(NTK_ACT_ERF, cases[c].s11, cases[c].s12,
                                                 cases[c].s22, 0);
        analytic_moments quadrature = analytic_expect_quadrature(
            NTK_ACT_ERF, cases[c].s11, cases[c].s12, cases[c].s22, 200);
        check_close("erf E[phi phi] vs Gauss-Hermite 200", exact.phi, quadrature.phi, 1e-10);
        check_close("erf E[phi' phi'] vs Gauss-Hermite 200", exact.phi_prime,
                    quadrature.phi_prime, 1e-10);
        worst = fmax(worst, fmax(fabs(exact.phi - quadrature.phi),
                                 fabs(exact.phi_prime - quadrature.phi_prime)));
    }
    printf("erf closed form vs Gauss-Hermite order 200: max |diff| %.2e\n", worst);
}

static void test_relu_against_quadrature(void)
{
    double worst_polar = 0.0, worst_gh_low = 0.0, worst_gh_high = 0.0;
    for (int c = 0; c < N_CASES; c++) {
        analytic_moments exact = analytic_expect(NTK_ACT_RELU, cases[c].s11, cases[c].s12,
                                                 cases[c].s22, 0);
        analytic_moments polar = relu_polar(cases[c]);
        check_close("relu E[phi phi] vs polar quadrature", exact.phi, polar.phi, 1e-12);
        check_close("relu E[phi' phi'] vs polar quadrature", exact.phi_prime, polar.phi_prime,
                    1e-12);
        worst_polar = fmax(worst_polar, fmax(fabs(exact.phi - polar.phi),
                                             fabs(exact.phi_prime - polar.phi_prime)));
        /* Plain Gauss-Hermite sees the kinks and converges only algebraically. */
        analytic_moments low = analytic_expect_quadrature(NTK_ACT_RELU, cases[c].s11,
                                                          cases[c].s12, cases[c].s22, 16);
        analytic_moments high = analytic_expect_quadrature(NTK_ACT_RELU, cases[c].s11,
                                                           cases[c].s12, cases[c].s22, 256);
        worst_gh_low = fmax(worst_gh_low, fabs(exact.phi - low.phi));
        worst_gh_high = fmax(worst_gh_high, fabs(exact.phi - high.phi));
        check_close("relu E[phi phi] vs Gauss-Hermite 256", exact.phi, high.phi, 2e-3);
        check_close("relu E[phi' phi'] vs Gauss-Hermite 256", exact.phi_prime, high.phi_prime,
                    5e-3);
    }
    check(worst_gh_high < worst_gh_low / 10, "relu Gauss-Hermite converges (16 -> 256)",
          worst_gh_high, worst_gh_low, 0);
    printf("relu closed form vs polar quadrature: max |diff| %.2e; vs Gauss-Hermite 16 / 256: "
           "%.2e / %.2e\n", worst_polar, worst_gh_low, worst_gh_high);
}

/* Monte-Carlo with 1e6 samples of (u, v) from the counter-based normals. */
static void test_monte_carlo(ntk_activation act, const char *name)
{
    const int64_t samples = 1000000;
    double worst_z = 0.0;
    for (int c = 0; c < N_CASES; c++) {
        double l11 = sqrt(cases[c].s11), l21 = cases[c].s12 / l11;
        double l22 = sqrt(fmax(0.0, cases[c].s22 - l21 * l21));
        double sum[2] = {0, 0}, sum_sq[2] = {0, 0};
        for (int64_t n = 0; n < samples; n++) {
            double z1 = ntk_random_normal(1234 + c, 1, (uint64_t)n);
            double z2 = ntk_random_normal(1234 + c, 2, (uint64_t)n);
            double u = l11 * z1, v = l21 * z1 + l22 * z2;
            double value[2] = {model_phi(act, u) * model_phi(act, v),
                               model_phi_prime(act, u) * model_phi_prime(act, v)};
            for (int m = 0; m < 2; m++) {
                sum[m] += value[m];
                sum_sq[m] += value[m] * value[m];
            }
        }
        analytic_moments exact = analytic_expect(act, cases[c].s11, cases[c].s12, cases[c].s22, 0);
        double want[2] = {exact.phi, exact.phi_prime};
        for (int m = 0; m < 2; m++) {
            double mean = sum[m] / samples;
            double variance = (sum_sq[m] / samples - mean * mean) * samples / (samples - 1);
            double standard_error = sqrt(fmax(variance, 0.0) / samples);
            char what[96];
            snprintf(what, sizeof what, "%s %s vs Monte-Carlo (case %d)", name,
                     m == 0 ? "E[phi phi]" : "E[phi' phi']", c);
            /* A degenerate case (rho = 1 for relu') can have zero variance. */
            double tolerance = fmax(4.0 * standard_error, 1e-12);
            check_close(what, mean, want[m], tolerance);
            if (standard_error > 0)
                worst_z = fmax(worst_z, fabs(mean - want[m]) / standard_error);
        }
    }
    printf("%s closed forms vs Monte-Carlo (1e6 samples): max deviation %.2f standard errors\n",
           name, worst_z);
}

static ntk_model_spec make_spec(int n_dense, ntk_activation act, double w_std, double b_std)
{
    ntk_model_spec spec = {0};
    spec.n_dense = n_dense;
    for (int l = 0; l < n_dense; l++) {
        spec.width[l] = l + 1 < n_dense ? 512 : 3;
        spec.act[l] = l + 1 < n_dense ? act : NTK_ACT_IDENTITY;
    }
    spec.parameterization = NTK_PARAM_NTK;
    spec.w_std = w_std;
    spec.b_std = b_std;
    return spec;
}

/* A deep linear network: <h_{l-1}, h'_{l-1}> c_l^2 + s_l^2 -> Sigma_l and the
 * backward factor <delta_l, delta'_l> -> w^(2 (L+1-l)), so
 * Theta = sum_l w^(2 (L+1-l)) Sigma_l with Sigma_{l+1} = w^2 Sigma_l + b^2. */
static void test_identity_exact(void)
{
    double x[5] = {0.3, -1.2, 2.0, 0.7, -0.1}, y[5] = {1.1, 0.4, -0.5, 0.9, 2.2};
    double w = 1.3, b = 0.4;
    for (int n_dense = 1; n_dense <= 4; n_dense++) {
        ntk_model_spec spec = make_spec(n_dense, NTK_ACT_IDENTITY, w, b);
        double inner = 0.0;
        for (int i = 0; i < 5; i++)
            inner += x[i] * y[i];
        double sigma[8];
        sigma[1] = w * w * inner / 5 + b * b;
        for (int l = 2; l <= n_dense; l++)
            sigma[l] = w * w * sigma[l - 1] + b * b;
        double want_theta = 0.0;
        for (int l = 1; l <= n_dense; l++)
            want_theta += pow(w * w, n_dense - l) * sigma[l];
        double theta, nngp;
        analytic_pair(&spec, 5, 32, x, y, &theta, &nngp);
        check_close("identity network Theta vs linear formula", theta, want_theta,
                    1e-14 * fabs(want_theta));
        check_close("identity network NNGP vs linear formula", nngp, sigma[n_dense],
                    1e-14 * fabs(sigma[n_dense]));
    }
}

/* relu with two hidden layers, the recursion written out by hand. */
static void test_relu_recursion(void)
{
    double x[3] = {0.5, -1.0, 2.0}, y[3] = {-0.3, 0.8, 1.5};
    double w = 1.4, b = 0.3, d = 3;
    ntk_model_spec spec = make_spec(3, NTK_ACT_RELU, w, b);
    double s11 = w * w * (x[0] * x[0] + x[1] * x[1] + x[2] * x[2]) / d + b * b;
    double s22 = w * w * (y[0] * y[0] + y[1] * y[1] + y[2] * y[2]) / d + b * b;
    double s12 = w * w * (x[0] * y[0] + x[1] * y[1] + x[2] * y[2]) / d + b * b;
    double theta = s12;
    for (int layer = 0; layer < 2; layer++) {
        double rho = s12 / sqrt(s11 * s22), t = acos(rho);
        double e_phi = sqrt(s11 * s22) / (2 * pi) * (sin(t) + (pi - t) * cos(t));
        double e_step = (pi - t) / (2 * pi);
        double n12 = w * w * e_phi + b * b;
        theta = n12 + w * w * e_step * theta;
        s11 = w * w * s11 / 2 + b * b; /* E[relu(u)^2] = s / 2 */
        s22 = w * w * s22 / 2 + b * b;
        s12 = n12;
    }
    double got_theta, got_nngp;
    analytic_pair(&spec, 3, 32, x, y, &got_theta, &got_nngp);
    check_close("relu 2-hidden-layer Theta vs hand recursion", got_theta, theta, 1e-13 * theta);
    check_close("relu 2-hidden-layer NNGP vs hand recursion", got_nngp, s12, 1e-13 * s12);
    /* Zero input without biases: every variance vanishes, nothing is NaN. */
    double zero[3] = {0, 0, 0};
    ntk_model_spec no_bias = make_spec(3, NTK_ACT_RELU, 1.0, 0.0);
    analytic_pair(&no_bias, 3, 32, zero, y, &got_theta, &got_nngp);
    check(got_theta == 0.0 && got_nngp == 0.0, "relu zero input gives 0", got_theta, 0, 0);
}

/* An activation whose phi' has a kink at 0 (elu: alpha e^z meets 1 there):
 * Gauss-Hermite converges only like 1 / order, as for relu. Measured against
 * order 1024 (itself within ~3e-4) over the cases: the worst error at order
 * 32 (the default) is 1.2e-2, at 256 1.2e-3 (docs/layers.md states it). */
static void test_kinked_quadrature(ntk_activation act, const char *name)
{
    int orders[] = {32, 256};
    double worst[2] = {0, 0};
    for (int c = 0; c < N_CASES; c++) {
        analytic_moments reference = analytic_expect_quadrature(act, cases[c].s11, cases[c].s12,
                                                                cases[c].s22, 1024);
        for (int o = 0; o < 2; o++) {
            analytic_moments m = analytic_expect(act, cases[c].s11, cases[c].s12, cases[c].s22,
                                                 orders[o]);
            worst[o] = fmax(worst[o], fmax(fabs(m.phi - reference.phi),
                                           fabs(m.phi_prime - reference.phi_prime)));
        }
    }
    printf("%s (kink in phi'): worst quadrature error vs order 1024: order 32 %.2e, 256 %.2e\n",
           name, worst[0], worst[1]);
    check(worst[0] < 2e-2, "kinked activation: order 32 within its stated accuracy", worst[0], 0,
          2e-2);
    check(worst[1] < worst[0] / 4, "kinked activation: the error falls like 1 / order", worst[1],
          worst[0] / 4, 0);
}

/* Quadrature activations: the error against order 256 falls with the order. */
static void test_quadrature_convergence(ntk_activation act, const char *name)
{
    int orders[] = {4, 8, 16, 32, 64, 128};
    for (int c = 0; c < N_CASES; c++) {
        analytic_moments reference = analytic_expect_quadrature(act, cases[c].s11, cases[c].s12,
                                                                cases[c].s22, 256);
        double previous = INFINITY;
        for (size_t o = 0; o < sizeof orders / sizeof orders[0]; o++) {
            analytic_moments m = analytic_expect(act, cases[c].s11, cases[c].s12, cases[c].s22,
                                                 orders[o]);
            double error = fmax(fabs(m.phi - reference.phi),
                                fabs(m.phi_prime - reference.phi_prime));
            if (c == 7)
                printf("%s case 7 order %3d: |error| %.2e\n", name, orders[o], error);
            char what[96];
            snprintf(what, sizeof what, "%s quadrature error falls (case %d, order %d)", name, c,
                     orders[o]);
            /* Once at rounding level the error may wander: allow 1e-13. */
            check(error <= fmax(previous, 1e-13), what, error, previous, 0);
            previous = error;
        }
        char what[96];
        snprintf(what, sizeof what, "%s order 128 vs 256 (case %d)", name, c);
        check(previous < 1e-7, what, previous, 0, 1e-7);
    }
    /* The diagonal (rho = 1) takes the 1-D path; it must equal E[phi(u)^2]
     * by an independent 1-D sum. */
    const double *node, *weight;
    analytic_gauss_hermite(64, &node, &weight);
    double s = 1.7, want = 0.0;
    for (int i = 0; i < 64; i++)
        want += weight[i] * pow(model_phi(act, sqrt(s) * node[i]), 2);
    check_close("diagonal 1-D quadrature", analytic_expect(act, s, s, s, 64).phi, want, 1e-14);
}

/* The rows the spatial recursion evaluates (an activation's gaussian_rows,
 * vectorised, with its own arccosine and the correlation from the
 * deviations) against the scalar closed form, to a few units of rounding
 * of the correlation magnified by the slope's 1 / sqrt(1 - rho^2), and to
 * the bit past |rho| = 1 - 1/1024 (where relu's row takes the quotient's
 * correlation, and an exact 1 stays exact): correlations across [-1, 1]
 * with both ends, +-1/2 where the arccosine switches formulas, just past +-1
 * (clamped), just inside and outside 1 - 1/1024, and zero variances on
 * either side; then the four rows in one call, with strides past the
 * rows' length, bit for bit as one by one. */
static void test_gaussian_rows(void)
{
    for (int a = 0; a < ntk_activation_count(); a++) {
        ntk_activation act = ntk_activation_at(a);
        if (act->gaussian_rows == NULL)
            continue;
        enum { N = 1203, LD = N + 3, LD_OUT = N + 5 };
        static double s12[N], s22[N], phi[N], phi_prime[N], theta[N], phi_2[N], ntk[N],
            deviation_22[N], inverse_22[N];
        /* the rows and their results, for the call with all four */
        static double s12_rows[4 * LD], theta_rows[4 * LD], phi_rows[4][N], ntk_rows[4][N],
            phi_block[4 * LD_OUT], ntk_block[4 * LD_OUT];
        double s11_rows[4], deviation_11_rows[4], inverse_11_rows[4];
        double parameter[NTK_ACTIVATION_MAX_PARAMETERS];
        ntk_activation_parameters(act, NULL, parameter);
        const double s11_values[] = {1.0, 0.37, 2.5e3, 0.0};
        int rows_checked = 0;
        for (int v = 0; v < 4; ++v) {
            const double s11 = s11_values[v];
            for (int e = 0; e < N; ++e) {
                s22[e] = e % 97 == 5 ? 0.0 : 0.2 + 0.01 * (e % 13);
                double rho = -1.0 + 2.0 * (double)(e % 401) / 400.0;
                if (e % 401 == 300)
                    rho = 0.5;
                else if (e % 401 == 100)
                    rho = -0.5;
                else if (e % 401 == 301)
                    rho = nextafter(0.5, 0.0);
                else if (e % 401 == 302)
                    rho = 1.0 + 1e-15; /* rounding past 1: clamped */
                else if (e % 401 == 303)
                    rho = 1.0 - 1e-12;
                else if (e % 401 == 304)
                    rho = 1.0 - 1.0 / 1024.0 - 1e-9;
                else if (e % 401 == 305)
                    rho = 1.0 - 1.0 / 1024.0 + 1e-9;
                else if (e % 401 == 306)
                    rho = -1.0 + 1.0 / 1024.0 + 1e-9;
                s12[e] = rho * sqrt(s11 * s22[e]);
                if (e % 401 == 307)
                    s12[e] = s22[e] = s11; /* an input against itself */
                deviation_22[e] = sqrt(s22[e]);
                inverse_22[e] = 1.0 / deviation_22[e];
            }
            s11_rows[v] = s11;
            deviation_11_rows[v] = sqrt(s11);
            inverse_11_rows[v] = 1.0 / sqrt(s11);
            const ntk_gaussian_rows row = {&s11_rows[v], &deviation_11_rows[v],
                                           &inverse_11_rows[v], s22, deviation_22, inverse_22,
                                           s12, N};
            act->gaussian_rows(&row, 1, N, parameter, NULL, phi, phi_prime, N);
            /* with theta: the same phi, and phi' times theta in the same pass */
            for (int e = 0; e < N; ++e)
                theta[e] = 0.5 + 0.03 * (e % 17);
            act->gaussian_rows(&row, 1, N, parameter, theta, phi_2, ntk, N);
            for (int e = 0; e < N; ++e) {
                s12_rows[v * LD + e] = s12[e];
                theta_rows[v * LD + e] = theta[e];
                phi_rows[v][e] = phi_2[e];
                ntk_rows[v][e] = ntk[e];
            }
            for (int e = 0; e < N; ++e) {
                check(phi_2[e] == phi[e], "gaussian_rows phi with theta", phi_2[e], phi[e], 0);
                check(ntk[e] == theta[e] * phi_prime[e], "gaussian_rows theta x phi'", ntk[e],
                      theta[e] * phi_prime[e], 0);
            }
            for (int e = 0; e < N; ++e) {
                const ntk_moments want = act->gaussian(s11, s12[e], s22[e], parameter);
                const double rho = ntk_gaussian_correlation(s11, s12[e], s22[e]);
                /* the quotient's correlation near +-1: the scalar form's to
                 * a few units (its arccosine is libm's); elsewhere a few
                 * units of rho more, through the slope 1 / (2 pi sqrt(1 - rho^2)) */
                const double spread = fabs(rho) > 1.0 - 1.0 / 1024.0 || !(s11 > 0.0) ||
                                              !(s22[e] > 0.0)
                                          ? 0.0
                                          : 1.0 / sqrt(1.0 - rho * rho);
                char what[96];
                snprintf(what, sizeof what, "%s gaussian_rows phi, s11 %g, element %d",
                         ntk_activation_name(act), s11, e);
                check_close(what, phi[e], want.phi,
                            (4e-16 + 8e-16 * (spread > 0.0)) * (fabs(want.phi) + sqrt(s11 * s22[e])));
                snprintf(what, sizeof what, "%s gaussian_rows phi', s11 %g, element %d",
                         ntk_activation_name(act), s11, e);
                check_close(what, phi_prime[e], want.phi_prime, 4e-16 + 2e-16 * spread);
                if (e % 401 == 307 && s11 > 0.0) {
                    /* rho exactly 1, so an angle exactly 0 (one unit of
                     * rho less would give 1.5e-8): the row's phi there */
                    const double pi = 3.14159265358979323846;
                    const double at_one = s11 * (1.0 / (2.0 * pi)) * pi;
                    check(phi[e] == at_one, "an input against itself: phi", phi[e], at_one, 0);
                    check(phi_prime[e] == 0.5, "an input against itself: phi'", phi_prime[e], 0.5, 0);
                }
            }
            ++rows_checked;
        }
        check(rows_checked == 4, "gaussian_rows rows checked", rows_checked, 4, 0);
        const ntk_gaussian_rows block = {s11_rows,   deviation_11_rows, inverse_11_rows, s22,
                                         deviation_22, inverse_22,      s12_rows,        LD};
        act->gaussian_rows(&block, 4, N, parameter, theta_rows, phi_block, ntk_block, LD_OUT);
        int same = 1;
        for (int v = 0; v < 4; ++v)
            for (int e = 0; e < N; ++e) /* (but where each row had its own s22: itself) */
                same &= e % 401 == 307 || (phi_block[v * LD_OUT + e] == phi_rows[v][e] &&
                                           ntk_block[v * LD_OUT + e] == ntk_rows[v][e]);
        check(same, "gaussian_rows: four rows in one call as one by one", same, 1, 0);
    }
    check(ntk_activation_relu.gaussian_rows != NULL, "relu has gaussian_rows", 0, 1, 0);
}

int main(void)
{
    test_gaussian_rows();
    test_gauss_hermite();
    test_erf_against_quadrature();
    test_relu_against_quadrature();
    test_ab_relu_closed_forms();
    test_identity_exact();
    test_relu_recursion();
    /* Every registered activation: a closed form against Monte-Carlo of its
     * own phi and phi', the quadrature of one without converging. */
    for (int a = 0; a < ntk_activation_count(); a++) {
        ntk_activation act = ntk_activation_at(a);
        if (analytic_has_closed_form(act))
            test_monte_carlo(act, ntk_activation_name(act));
        else if (strcmp(ntk_activation_name(act), "elu") == 0)
            test_kinked_quadrature(act, ntk_activation_name(act));
        else
            test_quadrature_convergence(act, ntk_activation_name(act));
    }
    if (failures) {
        printf("%d check(s) failed\n", failures);
        return 1;
    }
    printf("all analytic closed-form checks passed\n");
    return 0;
}
