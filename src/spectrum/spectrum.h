/* The distributed eigendecomposition of Theta and the training modes.
 *
 * Solvers: pdsyevd (all eigenpairs) and pdsyevr (eigenvalues only, or the
 * top-k pairs). ScaLAPACK returns ascending eigenvalues; we solve for -Theta so
 * that the k largest come first, already in descending order, and eigenvector
 * column i belongs to eigenvalue i. Only the lower triangle is read.
 */
#ifndef NTK_SPECTRUM_SPECTRUM_H
#define NTK_SPECTRUM_SPECTRUM_H

#include <stdint.h>

#include "core/status.h"
#include "grid/grid.h"
#include "job/job.h"

typedef struct {
    int64_t m;            /* eigenpairs found (M, or spectrum.top) */
    double *values;       /* m, descending; on every rank */
    int have_vectors;
    ntk_dmatrix vectors;  /* M x m, column i for values[i] */
    const char *solver;   /* "pdsyevd" or "pdsyevr" */
    double trace;         /* trace of Theta (all M eigenvalues' sum), from the diagonal */
} ntk_spectrum;

/* Solve. `theta` (lower triangle valid) is overwritten. Collective. */
ntk_status spectrum_solve(const ntk_spectrum_spec *spec, const ntk_grid *grid,
                          ntk_dmatrix *theta, ntk_spectrum *spectrum);
void spectrum_free(ntk_spectrum *spectrum);

/* Training modes (docs/design.md, "Training dynamics and modes").
 * `residual` is r = f_0 - y on every
 * rank, residual_rows x channels row-major: for the trace kernel N x k (row x,
 * channel o), for the full kernel (N k) x 1 (row x*k + o). NULL when the job
 * has no targets. Effective rank is (sum lambda)^2 / sum lambda^2 over the
 * computed eigenvalues; the condition number is lambda_max / lambda_min
 * (infinite when lambda_min <= 0). */
typedef struct {
    int64_t m;
    double *rate;              /* eta lambda_i / (N k) */
    double *gd_factor;         /* |1 - rate_i|: discrete gradient-descent factor */
    int have_targets;
    double *target_energy;     /* sum_c (v_i . r_c)^2 / ||r||^2 */
    double *cumulative_energy;
    double residual_norm2;     /* ||r||^2 */
    double unresolved_energy;  /* 1 - sum of energies: outside the computed modes */
    int n_steps;
    int64_t steps[NTK_MAX_STEPS];
    double predicted_loss[NTK_MAX_STEPS];
    double lambda_max, lambda_min, condition_number, effective_rank;
    double largest_stable_learning_rate; /* 2 N k / lambda_max */
    double loss_normaliser;    /* N k: the loss is 1/(2 N k) sum of squared residuals */
} ntk_modes;

/* `n_inputs` N and `k` as in the rates; `residual` as above or NULL.
 * Collective (projections of the residual on distributed eigenvectors). */
ntk_status modes_compute(const ntk_dynamics_spec *dynamics, const ntk_spectrum *spectrum,
                         const ntk_grid *grid, int64_t n_inputs, int k,
                         const double *residual, int64_t residual_rows, int channels,
                         ntk_modes *modes);
void modes_free(ntk_modes *modes);

/* The predicted loss L(t) at a (possibly fractional) step t from the modes
 * (have_targets must be set): the formula of docs/design.md
 * ("Training dynamics and modes"), with the
 * energy outside the computed modes kept constant. modes->predicted_loss[j]
 * is this at modes->steps[j]. */
double modes_predicted_loss_at(const ntk_modes *modes, double step);

#endif
