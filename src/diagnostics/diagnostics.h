/* Spectral diagnostics of Theta and the targets, computed on the same
 * distributed Theta and eigenpairs as the rest of the run
 * (docs/diagnostics.md has the definitions and their conventions):
 *
 *   alignment.c        kernel-target alignment, uncentred and centred
 *                      (H = I - 11^T / M on both matrices), reading only
 *                      Theta's lower triangle and never forming Y Y^T
 *   statistics.c       spectral statistics from the eigenvalues and trace;
 *                      the cumulative target power of the top modes
 *   learning_curve.c   eigenlearning: kappa, learnabilities, predicted test
 *                      error (learning_curve_theory.c) and the measured test
 *                      error of kernel regression on random subsets
 *                      (learning_curve_measured.c)
 *
 * Targets are `rows x channels`, row-major, the same on every rank: N x k
 * for a trace kernel, (N k) x 1 for a full kernel (row x*k + o), so the
 * alignment is with Y Y^T in Theta's own indexing. */
#ifndef NTK_DIAGNOSTICS_DIAGNOSTICS_H
#define NTK_DIAGNOSTICS_DIAGNOSTICS_H

#include <stdint.h>

#include "core/status.h"
#include "diagnostics/diagnostics_config.h"
#include "diagnostics/kernels.h"
#include "grid/grid.h"
#include "spectrum/spectrum.h"

/* A = <Theta, Y Y^T>_F / (||Theta||_F ||Y Y^T||_F) and the same for
 * H Theta H and H Y Y^T H (centred). NaN when a norm is 0. */
typedef struct {
    double alignment;
    double centered_alignment;
} ntk_alignment;

/* The alignment of the symmetric `theta` (M x M, only its lower triangle is
 * read, so a lower-only assembly will do) with `targets` (M x channels on
 * every rank). Three passes over the local part of Theta and one
 * allreduce of M doubles (the row sums the centring needs); no M x M
 * temporary. Collective. */
ntk_status diagnostics_alignment(const ntk_grid *grid, const ntk_dmatrix *theta,
                                 const double *targets, int channels, ntk_alignment *result);

/* Statistics of the spectrum (docs/diagnostics.md, "Spectral statistics"). */
typedef struct {
    double effective_rank_entropy; /* exp(-sum p log p), p = lambda / trace, lambda > 0 */
    double stable_rank;            /* trace / lambda_max */
    double condition_number;       /* lambda_max / lambda_min; inf when lambda_min <= 0 */
    int64_t modes_90, modes_99;    /* fewest top modes holding 90% / 99% of the trace;
                                    * -1 when the computed ones do not */
} ntk_spectral_statistics;

/* From the descending `values` (count of them) and the trace of Theta
 * (all M eigenvalues' sum, spectrum->diagonal_sum). Rank-local. */
void diagnostics_spectral_statistics(const double *values, int64_t count, double trace,
                                     ntk_spectral_statistics *statistics);

/* projection[i * channels + c] = v_i . y_c for the n_pairs eigenvectors
 * (on every rank). Collective. */
ntk_status diagnostics_project_targets(const ntk_grid *grid, const ntk_spectrum *spectrum,
                                       const double *targets, int channels, double *projection);

/* P(k) = sum_{i<=k} ||v_i^T Y||^2 / ||Y||^2 for k = 1..n_pairs into
 * `power` (n_pairs doubles, on every rank); 0 when Y = 0. Collective. */
ntk_status diagnostics_target_power(const ntk_grid *grid, const ntk_spectrum *spectrum,
                                    const double *targets, int channels, double *power);

/* The eigenlearning curve (docs/diagnostics.md, "Learning curves"). */
typedef struct {
    int n_sizes;
    int64_t size[DIAGNOSTICS_MAX_CURVE_SIZES];
    double kappa[DIAGNOSTICS_MAX_CURVE_SIZES];
    double overfitting[DIAGNOSTICS_MAX_CURVE_SIZES];   /* E0 = n / (n - sum L_i^2) */
    double predicted_mse[DIAGNOSTICS_MAX_CURVE_SIZES];
    double measured_mse[DIAGNOSTICS_MAX_CURVE_SIZES];  /* mean over the repeats */
    double measured_mse_std[DIAGNOSTICS_MAX_CURVE_SIZES]; /* population std over the repeats */
    int repeats;
} ntk_learning_curve;

/* kappa > 0 with sum_i mu_i / (mu_i + kappa) + ridge / kappa = n, mu_i =
 * max(lambda_i, 0) / n_inputs; 0 when ridge = 0 and n is at least the
 * number of positive mu_i (then no positive root exists and the
 * interpolating limit is kappa -> 0). Rank-local, deterministic. */
double diagnostics_eigenlearning_kappa(const double *values, int64_t count, int64_t n_inputs,
                                       double ridge, int64_t n);

/* The theory columns (kappa, overfitting, predicted_mse) for every size of
 * `spec`, from the eigenvalues and the projections of the targets on the
 * eigenvectors (N x k targets, a trace kernel). With only the top pairs,
 * the target energy outside them counts as not learned (L = 0). Collective
 * (the projections). */
ntk_status diagnostics_learning_curve_theory(const ntk_diagnostics_spec *spec,
                                             const ntk_grid *grid,
                                             const ntk_spectrum *spectrum,
                                             const double *targets, int channels,
                                             int64_t n_inputs, double ridge,
                                             ntk_learning_curve *curve);

/* The training subset of size n for repeat r: the n inputs with the
 * smallest ntk_random_bits(seed, DIAGNOSTICS_SUBSET_STREAM + n, r N + i)
 * (ties by index), in ascending order, into `subset` (n entries).
 * Rank-local; the same on every rank and in numpy. */
#define DIAGNOSTICS_SUBSET_STREAM 0x4c43555256450000ULL
ntk_status diagnostics_training_subset(int64_t seed, int64_t n_inputs, int64_t n, int repeat,
                                       int64_t *subset);

/* The measured columns (measured_mse, measured_mse_std): for each size and
 * repeat, kernel regression f = Theta(:, S) (Theta_SS + ridge I)^-1 Y_S on
 * the subset S, its mean squared error over all N inputs and k outputs.
 * `theta` (N x N, lower triangle read, not changed) must still be whole:
 * call before the eigensolve. Theta_SS is one n x n distributed matrix
 * (Cholesky, PDPOSV); Theta(:, S) alpha is a pass over the local part of
 * Theta. Collective. */
ntk_status diagnostics_learning_curve_measured(const ntk_diagnostics_spec *spec,
                                               const ntk_grid *grid, const ntk_dmatrix *theta,
                                               const double *targets, int channels,
                                               double ridge, ntk_learning_curve *curve);

/* What a run's diagnostics came to, for summary.yaml, modes.csv and
 * learning_curve.csv (output/). */
typedef struct {
    int enabled;                        /* the job has a diagnostics section */
    int have_statistics;
    ntk_spectral_statistics statistics;
    int have_alignment;
    ntk_alignment alignment;
    double *target_power;               /* P(k), one per eigenpair; NULL when not computed */
    int have_curve;
    ntk_learning_curve curve;
    int have_layers;                    /* diagnostics.per_layer (kernels.h) */
    ntk_layer_table layers;
    int have_distance;                  /* diagnostics.compare_weights */
    ntk_kernel_distance distance;
} ntk_diagnostics_facts;

void diagnostics_facts_free(ntk_diagnostics_facts *facts);

/* The training set sizes against N: NTK_ERR_JOB naming the first n > N at
 * its place in the job. Rank-local. */
ntk_status diagnostics_check_sizes(const ntk_diagnostics_spec *spec, int64_t n_inputs);

/* With spectrum.top, the kept eigenvalues must hold 1 - tolerance of the
 * trace for the learning curve: NTK_ERR_JOB naming diagnostics.learning_curve
 * otherwise. Rank-local. */
ntk_status diagnostics_check_trace_coverage(const ntk_diagnostics_spec *spec,
                                            const ntk_spectrum *spectrum);

#endif
