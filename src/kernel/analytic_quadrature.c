/* Gauss-Hermite rules for expectations over a standard normal, for the
 * analytic kernels of activations without a closed form (tanh, gelu).
 *
 * Golub-Welsch gives the nodes as eigenvalues of the symmetric tridiagonal
 * Jacobi matrix of the Hermite polynomials (LAPACK dstev). Their eigenvector
 * components would give the weights, but those lose all relative accuracy in
 * the tails at high order, so each node is polished by Newton on the
 * orthonormal Hermite recurrence and its weight is taken from the derivative
 * there (w = 2 / p_n'(t)^2, as in Numerical Recipes' gauher). That stays
 * accurate to order 1024 (the recurrence is rescaled against overflow). */
#include <math.h>
#include <stdlib.h>

#include "core/lapack.h"
#include "kernel/analytic.h"

typedef struct {
    double *node;   /* probabilists' nodes z = sqrt(2) t */
    double *weight; /* normalised to sum 1 */
} quadrature_rule;

/* One rule per order, built on first use; never freed (a few kB each). */
static quadrature_rule rule_cache[ANALYTIC_MAX_QUADRATURE_ORDER + 1];

/* Orthonormal Hermite p_n(t) (weight e^{-t^2}) and p_n'(t) = sqrt(2n) p_{n-1}(t),
 * both multiplied by 2^(-scale): they grow like e^{t^2/2}, which overflows
 * near the outer nodes above order ~700, so the recurrence is rescaled as it
 * goes. The Newton step p / p' does not see the scale; the weight gets it back. */
static void hermite_orthonormal(int n, double t, double *p_n, double *dp_n, int *scale)
{
    double previous = 0.0;
    double current = 0.7511255444649425; /* pi^{-1/4} */
    *scale = 0;
    for (int j = 1; j <= n; j++) {
        double next = t * sqrt(2.0 / j) * current - sqrt((double)(j - 1) / j) * previous;
        previous = current;
        current = next;
        if (fabs(current) > 0x1p300) {
            current *= 0x1p-300;
            previous *= 0x1p-300;
            *scale += 300;
        }
    }
    *p_n = current;
    *dp_n = sqrt(2.0 * n) * previous;
}

static ntk_status build_rule(int order, quadrature_rule *rule)
{
    ntk_status status = NTK_OK;
    double *diagonal = NULL, *off_diagonal = NULL, *node = NULL, *weight = NULL;
    NTK_TRY_GOTO(status, NTK_CALLOC(diagonal, order, "Gauss-Hermite Jacobi matrix"), fail);
    NTK_TRY_GOTO(status, NTK_CALLOC(off_diagonal, order, "Gauss-Hermite Jacobi matrix"), fail);
    NTK_TRY_GOTO(status, NTK_CALLOC(node, order, "Gauss-Hermite nodes"), fail);
    NTK_TRY_GOTO(status, NTK_CALLOC(weight, order, "Gauss-Hermite weights"), fail);

    /* Jacobi matrix of the physicists' Hermite polynomials: zero diagonal,
     * off-diagonal sqrt(j / 2). */
    for (int j = 1; j < order; j++)
        off_diagonal[j - 1] = sqrt(j / 2.0);
    int n = order, one = 1, info = 0;
    double unused = 0.0;
    dstev_("N", &n, diagonal, off_diagonal, &unused, &one, &unused, &info, 1);
    if (info != 0) {
        status = NTK_RAISE(NTK_ERR_NUMERIC,
                           "Gauss-Hermite rule of order %d: the eigenvalue solver failed (info %d)",
                           order, info);
        goto fail;
    }

    const double sqrt_pi = 1.7724538509055160273;
    double total = 0.0;
    for (int i = 0; i < order; i++) {
        double t = diagonal[i], p = 0.0, dp = 0.0;
        int scale = 0;
        for (int iteration = 0; iteration < 20; iteration++) {
            hermite_orthonormal(order, t, &p, &dp, &scale);
            double step = p / dp;
            t -= step;
            if (fabs(step) <= 1e-15 * fmax(1.0, fabs(t)))
                break;
        }
        hermite_orthonormal(order, t, &p, &dp, &scale);
        node[i] = sqrt(2.0) * t;
        /* Physicists' weight, summing to sqrt(pi); it underflows to 0 in the
         * far tails of high orders, where it is below 1e-308 anyway. */
        weight[i] = ldexp(2.0 / (dp * dp), -2 * scale);
        total += weight[i];
    }
    /* Normalise to a probability rule; the raw sum is sqrt(pi) up to rounding,
     * so this only removes rounding and the change of variables' 1/sqrt(pi). */
    if (!(fabs(total / sqrt_pi - 1.0) < 1e-10)) {
        status = NTK_RAISE(NTK_ERR_NUMERIC,
                           "Gauss-Hermite rule of order %d: weights sum to %.17g, expected sqrt(pi)",
                           order, total);
        goto fail;
    }
    for (int i = 0; i < order; i++)
        weight[i] /= total;

    free(diagonal);
    free(off_diagonal);
    rule->node = node;
    rule->weight = weight;
    return NTK_OK;

fail:
    free(diagonal);
    free(off_diagonal);
    free(node);
    free(weight);
    return status;
}

ntk_status analytic_gauss_hermite(int order, const double **node, const double **weight)
{
    *node = NULL;
    *weight = NULL;
    if (order < 1 || order > ANALYTIC_MAX_QUADRATURE_ORDER)
        return NTK_RAISE(NTK_ERR_JOB, "kernel.quadrature_order: must be in 1..%d, got %d",
                         ANALYTIC_MAX_QUADRATURE_ORDER, order);
    quadrature_rule *rule = &rule_cache[order];
    if (rule->node == NULL)
        NTK_TRY(build_rule(order, rule));
    *node = rule->node;
    *weight = rule->weight;
    return NTK_OK;
}
