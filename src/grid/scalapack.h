/* ScaLAPACK's error reports, checked after every call. The prototypes of the
 * BLACS, ScaLAPACK and PBLAS routines themselves are in core/lapack.h (with
 * their hidden string-length arguments), included from here so that every
 * caller of a ScaLAPACK routine has both. */
#ifndef NTK_GRID_SCALAPACK_H
#define NTK_GRID_SCALAPACK_H

#include <mpi.h>
#include <stddef.h>

#include "core/lapack.h"
#include "core/status.h"
#include "grid/grid.h"

/* Errors (grid/scalapack_errors.c). ntkgram defines PXERBLA and XERBLA, so
 * a ScaLAPACK or LAPACK routine that rejects an argument - even one deep
 * inside a driver that then returns INFO = 0 - leaves a record instead of a
 * line on stdout. Call grid_check_scalapack after every ScaLAPACK call:
 * a recorded complaint or INFO < 0 is NTK_ERR_INTERNAL naming the routine
 * and parameter, INFO > 0 is NTK_ERR_NUMERIC. Rank-local (callers agree).
 * PBLAS and BLACS aborts end the job with exit code 10 and one error line. */
ntk_status grid_check_scalapack(const char *call, int info);
/* Take (and clear) the pending complaint: 1 and the routine and parameter
 * number when there is one, else 0. */
int grid_scalapack_complaint(char *routine, size_t size, int *parameter);

/* The lower triangle of a square block-cyclic matrix (n x n, this
 * process's local_cols columns, descriptor desc; float32 entries when single,
 * else float64) copied into its upper triangle, bit for bit (grid/dmatrix.c
 * says how). Collective; the status is agreed. */
ntk_status grid_symmetrize_from_lower(const ntk_grid *grid, int64_t n, int64_t local_cols,
                                      const int *desc, void *data, int single);

#endif
