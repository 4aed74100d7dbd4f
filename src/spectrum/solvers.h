/* The eigensolvers spectrum_solve dispatches to besides ScaLAPACK's
 * (spectrum/solve.c): ELPA on the block-cyclic layout (elpa_solver.c) and
 * LAPACK on one rank after a gather (gather_lapack.c). Internal to the
 * spectrum module.
 *
 * Each takes -Theta whole (both triangles, spectrum_solve mirrors it first),
 * returns in `w` (M entries, valid on grid rank 0 at least) the ascending
 * eigenvalues of -Theta, and, when `z` is not NULL, creates `z` as the M x m
 * block-cyclic eigenvectors of the first m of them on the grid, column i for
 * w[i] (m = `pairs`). `detail` receives what ran, for summary.yaml's
 * spectrum.solver_detail. Collective; every rank returns the same status. */
#ifndef NTK_SPECTRUM_SOLVERS_H
#define NTK_SPECTRUM_SOLVERS_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "grid/grid.h"

/* ELPA 2-stage (`two_stage` = 1) or 1-stage. `minus_theta` is destroyed.
 * NTK_ERR_JOB when this ntkgram was built without ELPA. */
ntk_status spectrum_solve_elpa(const ntk_grid *grid, int two_stage, int64_t pairs,
                               ntk_dmatrix *minus_theta, double *w, ntk_dmatrix *z,
                               char *detail, size_t detail_size);

/* The same in float32 (kernel.precision float32: ELPA's single-precision
 * routines), every pair: `z` NULL or created M x M. */
ntk_status spectrum_solve_elpa_float32(const ntk_grid *grid, int two_stage,
                                       ntk_smatrix *minus_theta, float *w, ntk_smatrix *z,
                                       char *detail, size_t detail_size);

/* Gather to grid rank 0, LAPACK there with one thread per CPU the node's
 * ranks are bound to, scatter the eigenvectors back. `minus_theta` is only
 * read. */
ntk_status spectrum_solve_lapack(const ntk_grid *grid, int64_t pairs,
                                 const ntk_dmatrix *minus_theta, double *w, ntk_dmatrix *z,
                                 char *detail, size_t detail_size);

/* The same in float32 (kernel.precision float32: LAPACK's ssyevd on rank
 * 0), every pair or the values alone: `z` NULL or created M x M; `w`
 * valid on grid rank 0. `minus_theta` is only read. */
ntk_status spectrum_solve_lapack_float32(const ntk_grid *grid, ntk_smatrix *minus_theta,
                                         float *w, ntk_smatrix *z, char *detail,
                                         size_t detail_size);

/* Columns per pdgemr2d call when moving an M-row matrix (layout.c):
 * ScaLAPACK 2.2.1's pdgemr2d caps its buffers at 2 GB (design.md section 3),
 * so each call moves at most 2^27 doubles (1 GiB). */
int64_t spectrum_redistribution_columns(int64_t rows);

#endif
