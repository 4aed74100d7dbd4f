/* Prototypes of the BLACS, ScaLAPACK and PBLAS entry points ntkgram calls.
 *
 * The libraries ship no C headers. Fortran routines take every argument by
 * reference and use 32-bit INTEGERs (the Debian build is LP64), which is why
 * global sizes above 2^31 - 1 are refused before any of these is called. The
 * C BLACS interface (Cblacs_*) takes values. Hidden string-length arguments
 * are omitted: every character argument here is a single character, which
 * gfortran-compiled libraries accept without the length. */
#ifndef NTK_GRID_SCALAPACK_H
#define NTK_GRID_SCALAPACK_H

#include <mpi.h>
#include <stddef.h>

#include "core/status.h"

/* BLACS (C interface). */
void Cblacs_pinfo(int *rank, int *size);
void Cblacs_get(int context, int what, int *value);
void Cblacs_gridinit(int *context, const char *order, int rows, int cols);
void Cblacs_gridinfo(int context, int *rows, int *cols, int *myrow, int *mycol);
void Cblacs_gridexit(int context);
void Cblacs_exit(int keep_mpi_running);
int Csys2blacs_handle(MPI_Comm comm);
void Cfree_blacs_system_handle(int handle);

/* ScaLAPACK tools. */
int numroc_(const int *n, const int *nb, const int *iproc, const int *isrcproc,
            const int *nprocs);
void descinit_(int *desc, const int *m, const int *n, const int *mb, const int *nb,
               const int *irsrc, const int *icsrc, const int *context, const int *lld,
               int *info);
int indxl2g_(const int *indxloc, const int *nb, const int *iproc, const int *isrcproc,
             const int *nprocs);

/* PBLAS: C := beta C + alpha A^T on sub-matrices. */
void pdtran_(const int *m, const int *n, const double *alpha, const double *a, const int *ia,
             const int *ja, const int *desca, const double *beta, double *c, const int *ic,
             const int *jc, const int *descc);

/* PBLAS: C := alpha A B + beta C with A symmetric (side 'L'), reading the
 * `uplo` triangle of A. */
void pdsymm_(const char *side, const char *uplo, const int *m, const int *n, const double *alpha,
             const double *a, const int *ia, const int *ja, const int *desca, const double *b,
             const int *ib, const int *jb, const int *descb, const double *beta, double *c,
             const int *ic, const int *jc, const int *descc);

/* Copy a sub-matrix between two block-cyclic layouts, possibly on different
 * contexts; `context` spans every process of both. PDTRMR2D copies the `uplo`
 * trapezoid only. */
void pdgemr2d_(const int *m, const int *n, const double *a, const int *ia, const int *ja,
               const int *desca, double *b, const int *ib, const int *jb, const int *descb,
               const int *context);
void pdtrmr2d_(const char *uplo, const char *diag, const int *m, const int *n, const double *a,
               const int *ia, const int *ja, const int *desca, double *b, const int *ib,
               const int *jb, const int *descb, const int *context);

/* Symmetric eigensolvers. */
void pdsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *ia,
              const int *ja, const int *desca, double *w, double *z, const int *iz,
              const int *jz, const int *descz, double *work, const int *lwork, int *iwork,
              const int *liwork, int *info);
void pdsyevr_(const char *jobz, const char *range, const char *uplo, const int *n, double *a,
              const int *ia, const int *ja, const int *desca, const double *vl,
              const double *vu, const int *il, const int *iu, int *m, int *nz, double *w,
              double *z, const int *iz, const int *jz, const int *descz, double *work,
              const int *lwork, int *iwork, const int *liwork, int *info);

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

#endif
