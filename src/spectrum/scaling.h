/* Scaling a symmetric matrix into the range its eigensolver is accurate in
 * (docs/design.md, "Scaling before the eigensolve"). Internal to the
 * spectrum module.
 *
 * dsyevd's rule, which LAPACK, ScaLAPACK's drivers and numpy all rely on: a
 * matrix whose largest entry is outside [sqrt(safe min / eps), sqrt(1 /
 * that)] is scaled into it and its eigenvalues back. Squares of entries
 * then neither underflow nor overflow. ELPA needs more: its divide and
 * conquer deflates against 8 eps max(|d|, |z|) with z a unit vector, an
 * absolute tolerance that LAPACK's dstedc makes relative by scaling the
 * tridiagonal matrix to norm 1 first and ELPA does not; so for ELPA the
 * largest entry is raised to at least 1 (then max |d| >= 1 >= max |z|). */
#ifndef NTK_SPECTRUM_SCALING_H
#define NTK_SPECTRUM_SCALING_H

#include "core/status.h"
#include "grid/grid.h"

/* dsyevd's range for the largest |entry|. */
void spectrum_safe_range(double *low, double *high);

/* The factor that brings a matrix whose largest |entry| is `largest` into
 * [low, high] as dsyevd does (low / largest below, high / largest above),
 * 1 when it is inside or the matrix is zero. */
double spectrum_scale_factor(double largest, double low, double high);

/* The largest |entry| of the lower triangle of the distributed `matrix`,
 * on every rank. Collective. */
ntk_status spectrum_largest_lower(const ntk_grid *grid, const ntk_dmatrix *matrix,
                                  double *largest);

/* Multiply every local entry of `matrix` by `factor` (exact for the
 * entries' signs; nothing happens for factor 1). */
void spectrum_scale_local(ntk_dmatrix *matrix, double factor);

#endif
