/* relu(z) = max(z, 0), with relu'(0) = 0 (the convention of JAX and PyTorch
 * autograd). Its Gaussian maps are the arc-cosine kernels of degree 1 and 0
 * (Cho & Saul 2009):
 *   E[relu(u) relu(v)]   = sqrt(s11 s22) / (2 pi) (sin t + (pi - t) cos t)
 *   E[relu'(u) relu'(v)] = (pi - t) / (2 pi),   cos t = rho. */
#include <math.h>

#include "core/vector_clones.h"
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

/* acos(x) for x in [-1, 1], without branches so a loop over rows of pairs
 * vectorises (libm's acos is a call per element): fdlibm's rational
 * approximation of asin on [0, 1/2], applied to x near 0 and to
 * sqrt((1 -+ x) / 2) near +-1, where acos x = 2 asin(sqrt((1 - x) / 2)).
 * Within a few units of rounding of libm's (tests/analytic/
 * test_analytic_closed_forms.c compares them). */
static inline double arc_cosine(double x)
{
    static const double pio2_hi = 1.57079632679489655800e+00,
                        pio2_lo = 6.12323399573676603587e-17, pi_hi = 3.14159265358979311600e+00,
                        p0 = 1.66666666666666657415e-01, p1 = -3.25565818622400915405e-01,
                        p2 = 2.01212532134862925881e-01, p3 = -4.00555345006794114027e-02,
                        p4 = 7.91534994289814532176e-04, p5 = 3.47933107596021167570e-05,
                        q1 = -2.40339491173441421878e+00, q2 = 2.02094576023350569471e+00,
                        q3 = -6.88283971605453293030e-01, q4 = 7.70381505559019352791e-02;
    const double magnitude = x < 0.0 ? -x : x;
    const int near_zero = magnitude < 0.5;
    const double z = near_zero ? x * x : (1.0 - magnitude) * 0.5;
    const double s = sqrt(z);
    const double r = z * (p0 + z * (p1 + z * (p2 + z * (p3 + z * (p4 + z * p5))))) /
                     (1.0 + z * (q1 + z * (q2 + z * (q3 + z * q4))));
    const double middle = pio2_hi - (x - (pio2_lo - x * r));
    const double top = 2.0 * (s + s * r);
    const double bottom = pi_hi - 2.0 * (s + (s * r - pio2_lo));
    return near_zero ? middle : (x > 0.0 ? top : bottom);
}

/* relu_gaussian along a row, the common case (both variances positive)
 * vectorised; the others (a variance 0 or not a number) element by element
 * through relu_gaussian itself. Divisions and square roots are what such a
 * row waits on (a vector one as slow as a dozen products), so: the 1 / (2 pi)
 * is a product, sqrt(s11 s22) the product of the two positions' standard
 * deviations and the correlation s12 times their inverses (all computed
 * once per input: ntk_gaussian_rows), leaving the arccosine's square root
 * and quotient and the sine. Where |rho| is close to 1 (past near_one) the
 * slope (pi - acos rho) / (2 pi) magnifies the correlation's rounding by
 * 1 / sqrt(1 - rho^2), so there the row takes the correlation as
 * s12 / sqrt(s11 s22), as relu_gaussian does: its bits, and the exact 1 of
 * an input against itself at the same position. Elsewhere the two differ
 * by a few units of rounding of rho, at most about 4e-15 in the slope. */
static const double near_one = 1.0 - 1.0 / 1024.0;

/* phi and the slope (pi - angle) / (2 pi) at a clamped correlation, and
 * sqrt(s11 s22) as `product`. */
static inline double relu_row_element(double product, double rho, double *slope)
{
    const double inverse_two_pi = 1.0 / (2.0 * pi);
    const double angle = arc_cosine(rho);
    const double square = 1.0 - rho * rho; /* >= 0 for |rho| <= 1 */
    const double sine = sqrt(square > 0.0 ? square : 0.0);
    *slope = (pi - angle) * inverse_two_pi;
    return product * inverse_two_pi * (sine + (pi - angle) * rho);
}

static inline double clamp_correlation(double rho)
{
    return rho > 1.0 ? 1.0 : (rho < -1.0 ? -1.0 : rho);
}

/* The correlation from the deviations: two products. */
static inline double row_correlation(double s12, double inverse_11, double inverse_22)
{
    return s12 * inverse_11 * inverse_22;
}

enum { fix_up_chunk = 32 };

/* Row r of relu_gaussian_rows. */
NTK_CLONED_HELPER void relu_gaussian_row(const ntk_gaussian_rows *block, int64_t r, int64_t n,
                                         const double *parameter, const double *restrict theta,
                                         double *restrict phi, double *restrict phi_prime)
{
    const double s11 = block->s11[r], deviation_11 = block->deviation_11[r],
                 inverse_11 = block->inverse_deviation_11[r];
    const double *restrict s12 = block->s12 + r * block->ld, *restrict s22 = block->s22,
                           *restrict deviation_22 = block->deviation_22,
                           *restrict inverse_22 = block->inverse_deviation_22;
    double slope;
    /* whether any element needs the fix-up below, found in the same pass */
    int any = !(s11 > 0.0);
    if (s11 > 0.0 && theta != NULL)
        for (int64_t e = 0; e < n; ++e) {
            const double raw = row_correlation(s12[e], inverse_11, inverse_22[e]);
            any |= !(s22[e] > 0.0) | (raw > near_one) | (raw < -near_one);
            phi[e] = relu_row_element(deviation_11 * deviation_22[e], clamp_correlation(raw),
                                      &slope);
            phi_prime[e] = theta[e] * slope;
        }
    else if (s11 > 0.0)
        for (int64_t e = 0; e < n; ++e) {
            const double raw = row_correlation(s12[e], inverse_11, inverse_22[e]);
            any |= !(s22[e] > 0.0) | (raw > near_one) | (raw < -near_one);
            phi[e] = relu_row_element(deviation_11 * deviation_22[e], clamp_correlation(raw),
                                      &slope);
            phi_prime[e] = slope;
        }
    /* The elements that need the scalar form (a variance not positive) or
     * the quotient's correlation (|rho| past near_one): a vectorised test
     * per chunk first, the scalar loop only on the chunks that have one. */
    for (int64_t first = 0; any && first < n; first += fix_up_chunk) {
        const int64_t last = first + fix_up_chunk < n ? first + fix_up_chunk : n;
        int some = !(s11 > 0.0);
        for (int64_t e = first; e < last; ++e) {
            const double rho = row_correlation(s12[e], inverse_11, inverse_22[e]);
            some |= !(s22[e] > 0.0) | (rho > near_one) | (rho < -near_one);
        }
        for (int64_t e = first; some && e < last; ++e) {
            if (!(s11 > 0.0) || !(s22[e] > 0.0)) {
                const ntk_moments m = relu_gaussian(s11, s12[e], s22[e], parameter);
                phi[e] = m.phi;
                phi_prime[e] = theta != NULL ? theta[e] * m.phi_prime : m.phi_prime;
                continue;
            }
            const double rho = row_correlation(s12[e], inverse_11, inverse_22[e]);
            if (rho > near_one || rho < -near_one) {
                const double product = sqrt(s11 * s22[e]);
                phi[e] = relu_row_element(product, clamp_correlation(s12[e] / product), &slope);
                phi_prime[e] = theta != NULL ? theta[e] * slope : slope;
            }
        }
    }
}

/* The rows one by one in one call (a conv's fused block of rows, or a
 * whole state), so the vector loops' set-up is not a call per row. */
NTK_VECTOR_CLONES
static void relu_gaussian_rows(const ntk_gaussian_rows *block, int64_t rows, int64_t n,
                               const double *parameter, const double *theta, double *phi,
                               double *phi_prime, int64_t ld_out)
{
    for (int64_t r = 0; r < rows; ++r)
        relu_gaussian_row(block, r, n, parameter, theta != NULL ? theta + r * block->ld : NULL,
                          phi + r * ld_out, phi_prime + r * ld_out);
}

const ntk_activation_ops ntk_activation_relu = {
    .layer = NTK_ACTIVATION_LAYER(ntk_activation_relu, "relu"),
    .phi = relu,
    .phi_prime = relu_prime,
    .apply = relu_apply,
    .gaussian = relu_gaussian,
    .gaussian_rows = relu_gaussian_rows,
};
