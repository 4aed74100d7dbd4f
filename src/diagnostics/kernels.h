/* Diagnostics of whole kernels on the block-cyclic grid, beside the
 * alignment and spectral statistics of diagnostics.h (docs/diagnostics.md):
 *
 *   kernel_moments.c   trace, Frobenius norms and inner products of symmetric
 *                      matrices read from their lower triangles; the kernel
 *                      distance 1 - <A, B>_F / (||A||_F ||B||_F)
 *   lambda_max.c       the largest eigenvalue of a symmetric matrix by
 *                      Lanczos with full reorthogonalisation (products with
 *                      the lower triangle; no copy of the matrix)
 *   layer_table.c      the per-layer table (layers.csv): shares of the trace
 *
 * Every function reads only the lower triangle, so a lower-only assembly
 * will do, and none allocates an M x M matrix. */
#ifndef NTK_DIAGNOSTICS_KERNELS_H
#define NTK_DIAGNOSTICS_KERNELS_H

#include <stdint.h>

#include "core/status.h"
#include "grid/grid.h"
#include "model/model.h"

/* trace(A) and ||A||_F^2 of a symmetric matrix. Collective. */
ntk_status diagnostics_trace_and_norm(const ntk_grid *grid, const ntk_dmatrix *a, double *trace,
                                      double *frobenius_squared);

/* Two symmetric matrices of the same shape on the same grid: the kernel
 * distance 1 - <A, B>_F / (||A||_F ||B||_F) (NaN when a norm is 0) and the
 * relative Frobenius distance ||B - A||_F / ||A||_F (A is the reference:
 * the job's kernel). Collective. */
typedef struct {
    double kernel_distance;
    double relative_frobenius;
} ntk_kernel_distance;
ntk_status diagnostics_kernel_distance(const ntk_grid *grid, const ntk_dmatrix *a,
                                       const ntk_dmatrix *b, ntk_kernel_distance *distance);

/* The largest eigenvalue of the symmetric `a` by Lanczos from a fixed
 * pseudo-random start vector (the same for every grid), stopping when the
 * Ritz residual |beta_j s_j| <= tolerance * |theta| (then theta is within
 * that residual of an eigenvalue of A) or after `max_steps` (or M) steps;
 * *steps is how many it took, *residual the final bound. Collective. */
#define DIAGNOSTICS_LAMBDA_TOLERANCE 1e-12
#define DIAGNOSTICS_LAMBDA_MAX_STEPS 300
ntk_status diagnostics_lambda_max(const ntk_grid *grid, const ntk_dmatrix *a, double tolerance,
                                  int max_steps, double *lambda_max, int *steps,
                                  double *residual);

/* One row of layers.csv: a layer with parameters and its kernel Theta_l. */
typedef struct {
    int layer;                 /* 1-based among layers with parameters */
    const char *type;          /* its layer type ("dense", "conv") */
    const char *name;          /* "" when the layer has no name */
    int64_t params;            /* its weights and bias */
    double trace, trace_share; /* trace(Theta_l), over sum_l trace(Theta_l) */
    double frobenius;          /* ||Theta_l||_F */
    double lambda_max;         /* Lanczos (diagnostics_lambda_max) */
    int lanczos_steps;
    double effective_rank;     /* participation ratio trace^2 / ||Theta_l||_F^2 */
    double alignment, centered_alignment; /* NaN without targets */
} ntk_layer_row;

typedef struct {
    int count;
    ntk_layer_row row[NTK_MAX_DENSE + 2];
} ntk_layer_table;

/* Fill a row's identity (layer, type, params) from the model; its numbers
 * NaN. Rank-local. */
void diagnostics_layer_row_begin(const ntk_model *model, int layer, ntk_layer_row *row);

/* trace_share of every row, from the sum of the rows' traces (equal to
 * trace(Theta) up to rounding, since Theta = sum_l Theta_l). Rank-local. */
void diagnostics_layer_shares(ntk_layer_table *table);

#endif
