/* What the float64 and float32 ScaLAPACK eigensolvers share (private to
 * src/spectrum/scalapack/): the float32 solves, the drivers' INFO check, their 32-bit workspace
 * limit and the workspace sizes (pdsyevd's and pdsyevr's formulas, the same
 * for the s routines, in entries). */
#ifndef NTK_SPECTRUM_SCALAPACK_DRIVERS_H
#define NTK_SPECTRUM_SCALAPACK_DRIVERS_H

#include <stdint.h>

#include "core/status.h"
#include "spectrum/eigensolver.h"

/* A driver's INFO and any complaint recorded during the call: INFO < 0 or a
 * complaint is an internal error, INFO > 0 a numeric one (no convergence). */
ntk_status scalapack_check_solver(const char *call, int info, int64_t n);
/* An error when `entries` exceed ScaLAPACK's 32-bit workspace counts. */
ntk_status scalapack_workspace_fits(int64_t entries, const char *solver);
/* pdsyevd/pssyevd on an n x n matrix, block nb, a rows x cols grid. */
int64_t scalapack_evd_lwork(int64_t n, int64_t nb, int rows, int cols);
int64_t scalapack_evd_liwork(int64_t n, int cols);
/* pdsyevr/pssyevr, eigenvalues only (JOBZ = 'N', RANGE = 'A'). */
int64_t scalapack_evr_values_lwork(int64_t n, int64_t nb, int rows);
int64_t scalapack_evr_values_liwork(int64_t n, int rows, int cols);

/* kernel.precision float32's solves (float32_drivers.c): pssyevd (every
 * pair) and pssyevr (the eigenvalues), the ops tables' solve_float32. */
ntk_status scalapack_float32_pssyevd(const eigensolver_float32_call *call);
ntk_status scalapack_float32_pssyevr(const eigensolver_float32_call *call);

#endif
