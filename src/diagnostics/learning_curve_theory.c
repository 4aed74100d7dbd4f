/* Eigenlearning (Simon et al. 2021; Bordelon et al. 2020) with the N inputs
 * as the population (docs/diagnostics.md, "Learning curves"): operator
 * eigenvalues mu_i = lambda_i / N, eigenfunctions sqrt(N) v_i, target
 * coefficients c_io = v_i . y_o / sqrt(N). For n training points and ridge
 * delta, kappa solves sum_i mu_i / (mu_i + kappa) + delta / kappa = n; mode
 * i's learnability is L_i = mu_i / (mu_i + kappa), E0 = n / (n - sum L_i^2)
 * and the predicted test MSE is E0 sum_i (1 - L_i)^2 c_i^2, c_i^2 averaged
 * over the k outputs. */
#include "diagnostics/diagnostics.h"

#include <math.h>
#include <stdlib.h>

/* sum_i mu_i / (mu_i + kappa) + ridge / kappa - n: decreasing in kappa > 0. */
static double kappa_equation(const double *mu, int64_t count, double ridge, double n,
                             double kappa)
{
    double sum = 0.0;
    for (int64_t i = 0; i < count; ++i)
        sum += mu[i] / (mu[i] + kappa);
    return sum + ridge / kappa - n;
}

double diagnostics_eigenlearning_kappa(const double *values, int64_t count, int64_t n_inputs,
                                       double ridge, int64_t n)
{
    double *mu = malloc(sizeof(double) * (size_t)(count > 0 ? count : 1));
    if (mu == NULL)
        return NAN;
    double mu_sum = 0.0;
    int64_t positive = 0;
    for (int64_t i = 0; i < count; ++i) {
        /* eigenvalues below zero are rounding of a positive semi-definite Theta */
        mu[i] = values[i] > 0.0 ? values[i] / (double)n_inputs : 0.0;
        mu_sum += mu[i];
        positive += mu[i] > 0.0;
    }
    double kappa = 0.0;
    const double target = (double)n;
    if (ridge > 0.0 || positive > n) {
        /* g(hi) <= (sum mu + ridge) / hi - n = 0; halve lo until g(lo) > 0,
         * then bisect (geometrically while the bracket spans a factor 2)
         * until no double lies strictly between the ends */
        double hi = (mu_sum + ridge) / target, lo = hi;
        for (int halvings = 0; halvings < 4000 && lo > 0.0 &&
                               kappa_equation(mu, count, ridge, target, lo) <= 0.0;
             ++halvings)
            lo *= 0.5;
        for (int iteration = 0; iteration < 4000 && lo > 0.0; ++iteration) {
            const double mid = hi > 2.0 * lo ? sqrt(lo) * sqrt(hi) : 0.5 * (lo + hi);
            if (!(mid > lo && mid < hi))
                break;
            if (kappa_equation(mu, count, ridge, target, mid) > 0.0)
                lo = mid;
            else
                hi = mid;
        }
        kappa = 0.5 * (lo + hi);
    }
    free(mu);
    return kappa;
}

ntk_status diagnostics_learning_curve_theory(const ntk_diagnostics_spec *spec,
                                             const ntk_grid *grid,
                                             const ntk_spectrum *spectrum,
                                             const double *targets, int channels,
                                             int64_t n_inputs, double ridge,
                                             ntk_learning_curve *curve)
{
    const int64_t pairs = spectrum->n_pairs;
    double *projection = NULL, *coefficient2 = NULL;
    ntk_status status = NTK_CALLOC(projection, pairs * channels > 0 ? pairs * channels : 1,
                                   "target projections");
    if (status == NTK_OK)
        status = NTK_CALLOC(coefficient2, pairs > 0 ? pairs : 1, "target coefficients");
    status = ntk_agree(status, grid->comm);
    if (status == NTK_OK)
        status = diagnostics_project_targets(grid, spectrum, targets, channels, projection);
    if (status != NTK_OK)
        goto done;

    /* c_i^2 averaged over outputs; with only the top pairs the rest of
     * ||Y||^2 lies in modes not computed, counted as not learned */
    const double per_entry = 1.0 / ((double)n_inputs * (double)channels);
    double projected = 0.0, norm2 = 0.0;
    for (int64_t i = 0; i < pairs; ++i) {
        double sum = 0.0;
        for (int c = 0; c < channels; ++c)
            sum += projection[i * channels + c] * projection[i * channels + c];
        coefficient2[i] = sum * per_entry;
        projected += sum;
    }
    for (int64_t e = 0; e < n_inputs * channels; ++e)
        norm2 += targets[e] * targets[e];
    const int all_pairs = pairs >= spectrum->vectors.rows;
    const double rest = !all_pairs && norm2 > projected ? (norm2 - projected) * per_entry : 0.0;

    curve->n_sizes = spec->n_curve_sizes;
    curve->repeats = spec->curve_repeats;
    for (int s = 0; s < spec->n_curve_sizes; ++s) {
        const int64_t n = spec->curve_sizes[s];
        curve->size[s] = n;
        const double kappa =
            diagnostics_eigenlearning_kappa(spectrum->values, pairs, n_inputs, ridge, n);
        if (isnan(kappa)) {
            status = NTK_RAISE(NTK_ERR_MEMORY, "learning curve: out of memory for %lld modes",
                               (long long)pairs);
            break;
        }
        double learned2 = 0.0, error = rest;
        for (int64_t i = 0; i < pairs; ++i) {
            const double mu = spectrum->values[i] > 0.0 ? spectrum->values[i] / (double)n_inputs
                                                        : 0.0;
            /* kappa = 0: the interpolating limit, every positive mode learned */
            const double learnability = mu > 0.0 ? mu / (mu + kappa) : 0.0;
            learned2 += learnability * learnability;
            error += (1.0 - learnability) * (1.0 - learnability) * coefficient2[i];
        }
        const double denominator = (double)n - learned2;
        curve->kappa[s] = kappa;
        curve->overfitting[s] = denominator > 0.0 ? (double)n / denominator : INFINITY;
        /* E0 -> infinity only as the error -> 0 (interpolating all of the
         * population): the product's limit is 0 */
        curve->predicted_mse[s] =
            denominator > 0.0 ? curve->overfitting[s] * error : (error > 0.0 ? INFINITY : 0.0);
    }
done:
    free(coefficient2);
    free(projection);
    return status;
}
