/* Prototypes of every Fortran routine ntkgram calls: BLAS, LAPACK, ScaLAPACK,
 * PBLAS, BLACS and PARPACK (private; none of these libraries ship a C header
 * for their Fortran interface). One place, so a routine is declared once and
 * every caller passes the same arguments.
 *
 * Fortran conventions (gfortran, the LP64 build Debian ships):
 * - every argument by reference; INTEGER is a 32-bit int (global sizes above
 *   2^31 - 1 are refused before any of these is called); LOGICAL is a 4-byte
 *   int;
 * - every CHARACTER argument has a hidden length argument, of type size_t
 *   (gfortran 8 and later), appended after the visible ones in the order of
 *   the CHARACTER arguments. Omitting them works by accident only (the callee
 *   reads whatever is in the register or stack slot); every prototype here
 *   declares them, and callers pass 1 for the single-character arguments
 *   ("N", "L", ...), as the routines read only the first character.
 * The C BLACS interface (Cblacs_*) takes values and has no hidden arguments.
 */
#ifndef NTK_CORE_LAPACK_H
#define NTK_CORE_LAPACK_H

#include <mpi.h>
#include <stddef.h>

/* ---- BLACS (C interface) ---- */
void Cblacs_pinfo(int *rank, int *size);
void Cblacs_get(int context, int what, int *value);
void Cblacs_gridinit(int *context, const char *order, int rows, int cols);
void Cblacs_gridinfo(int context, int *rows, int *cols, int *myrow, int *mycol);
void Cblacs_gridexit(int context);
void Cblacs_exit(int keep_mpi_running);
int Csys2blacs_handle(MPI_Comm comm);
void Cfree_blacs_system_handle(int handle);

/* ---- ScaLAPACK tools ---- */
int numroc_(const int *n, const int *nb, const int *iproc, const int *isrcproc,
            const int *nprocs);
void descinit_(int *desc, const int *m, const int *n, const int *mb, const int *nb,
               const int *irsrc, const int *icsrc, const int *context, const int *lld,
               int *info);
int indxl2g_(const int *indxloc, const int *nb, const int *iproc, const int *isrcproc,
             const int *nprocs);

/* ---- PBLAS ---- */
/* C := beta C + alpha A^T on sub-matrices. */
void pdtran_(const int *m, const int *n, const double *alpha, const double *a, const int *ia,
             const int *ja, const int *desca, const double *beta, double *c, const int *ic,
             const int *jc, const int *descc);
/* C := alpha A B + beta C with A symmetric (side 'L'), reading the `uplo`
 * triangle of A. */
void pdsymm_(const char *side, const char *uplo, const int *m, const int *n, const double *alpha,
             const double *a, const int *ia, const int *ja, const int *desca, const double *b,
             const int *ib, const int *jb, const int *descb, const double *beta, double *c,
             const int *ic, const int *jc, const int *descc, size_t side_length,
             size_t uplo_length);
void pdgemm_(const char *transa, const char *transb, const int *m, const int *n, const int *k,
             const double *alpha, const double *a, const int *ia, const int *ja, const int *desca,
             const double *b, const int *ib, const int *jb, const int *descb, const double *beta,
             double *c, const int *ic, const int *jc, const int *descc, size_t transa_length,
             size_t transb_length);

/* Single precision (kernel.precision float32): the same routines on floats. */
void pstran_(const int *m, const int *n, const float *alpha, const float *a, const int *ia,
             const int *ja, const int *desca, const float *beta, float *c, const int *ic,
             const int *jc, const int *descc);
void pssymm_(const char *side, const char *uplo, const int *m, const int *n, const float *alpha,
             const float *a, const int *ia, const int *ja, const int *desca, const float *b,
             const int *ib, const int *jb, const int *descb, const float *beta, float *c,
             const int *ic, const int *jc, const int *descc, size_t side_length,
             size_t uplo_length);
void psgemm_(const char *transa, const char *transb, const int *m, const int *n, const int *k,
             const float *alpha, const float *a, const int *ia, const int *ja, const int *desca,
             const float *b, const int *ib, const int *jb, const int *descb, const float *beta,
             float *c, const int *ic, const int *jc, const int *descc, size_t transa_length,
             size_t transb_length);

/* ---- ScaLAPACK redistribution ---- */
/* Copy a sub-matrix between two block-cyclic layouts, possibly on different
 * contexts; `context` spans every process of both. PDTRMR2D copies the `uplo`
 * trapezoid only. */
void pdgemr2d_(const int *m, const int *n, const double *a, const int *ia, const int *ja,
               const int *desca, double *b, const int *ib, const int *jb, const int *descb,
               const int *context);
void pdtrmr2d_(const char *uplo, const char *diag, const int *m, const int *n, const double *a,
               const int *ia, const int *ja, const int *desca, double *b, const int *ib,
               const int *jb, const int *descb, const int *context, size_t uplo_length,
               size_t diag_length);

/* ---- ScaLAPACK linear systems ---- */
/* Solve A X = B for symmetric positive definite A (its `uplo` triangle) by
 * Cholesky; B is overwritten by X, A by its factor. */
void pdposv_(const char *uplo, const int *n, const int *nrhs, double *a, const int *ia,
             const int *ja, const int *desca, double *b, const int *ib, const int *jb,
             const int *descb, int *info, size_t uplo_length);

/* ---- ScaLAPACK symmetric eigensolvers ---- */
void pdsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *ia,
              const int *ja, const int *desca, double *w, double *z, const int *iz,
              const int *jz, const int *descz, double *work, const int *lwork, int *iwork,
              const int *liwork, int *info, size_t jobz_length, size_t uplo_length);
void pdsyevr_(const char *jobz, const char *range, const char *uplo, const int *n, double *a,
              const int *ia, const int *ja, const int *desca, const double *vl,
              const double *vu, const int *il, const int *iu, int *m, int *nz, double *w,
              double *z, const int *iz, const int *jz, const int *descz, double *work,
              const int *lwork, int *iwork, const int *liwork, int *info, size_t jobz_length,
              size_t range_length, size_t uplo_length);

void pssyevd_(const char *jobz, const char *uplo, const int *n, float *a, const int *ia,
              const int *ja, const int *desca, float *w, float *z, const int *iz,
              const int *jz, const int *descz, float *work, const int *lwork, int *iwork,
              const int *liwork, int *info, size_t jobz_length, size_t uplo_length);
void pssyevr_(const char *jobz, const char *range, const char *uplo, const int *n, float *a,
              const int *ia, const int *ja, const int *desca, const float *vl,
              const float *vu, const int *il, const int *iu, int *m, int *nz, float *w,
              float *z, const int *iz, const int *jz, const int *descz, float *work,
              const int *lwork, int *iwork, const int *liwork, int *info, size_t jobz_length,
              size_t range_length, size_t uplo_length);

/* ---- ScaLAPACK Cholesky (predict/cholesky/) ---- */
void pdpotrf_(const char *uplo, const int *n, double *a, const int *ia, const int *ja,
              const int *desca, int *info, size_t uplo_length);
void pdpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *ia,
              const int *ja, const int *desca, double *b, const int *ib, const int *jb,
              const int *descb, int *info, size_t uplo_length);

/* ---- BLAS (Fortran interface; C code otherwise calls CBLAS) ---- */
void dgemm_(const char *transa, const char *transb, const int *m, const int *n, const int *k,
            const double *alpha, const double *a, const int *lda, const double *b, const int *ldb,
            const double *beta, double *c, const int *ldc, size_t transa_length,
            size_t transb_length);
void dtrmm_(const char *side, const char *uplo, const char *transa, const char *diag, const int *m,
            const int *n, const double *alpha, const double *a, const int *lda, double *b,
            const int *ldb, size_t side_length, size_t uplo_length, size_t transa_length,
            size_t diag_length);

/* ---- LAPACK: symmetric eigenproblems ---- */
void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
            double *w, double *work, const int *lwork, int *info, size_t jobz_length,
            size_t uplo_length);
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
             double *w, double *work, const int *lwork, int *iwork, const int *liwork,
             int *info, size_t jobz_length, size_t uplo_length);
void ssyevd_(const char *jobz, const char *uplo, const int *n, float *a, const int *lda,
             float *w, float *work, const int *lwork, int *iwork, const int *liwork, int *info,
             size_t jobz_length, size_t uplo_length);
void dsyevr_(const char *jobz, const char *range, const char *uplo, const int *n, double *a,
             const int *lda, const double *vl, const double *vu, const int *il, const int *iu,
             const double *abstol, int *m, double *w, double *z, const int *ldz, int *isuppz,
             double *work, const int *lwork, int *iwork, const int *liwork, int *info,
             size_t jobz_length, size_t range_length, size_t uplo_length);
/* Reduction to tridiagonal form, directly or through a band (two stages). */
void dsytrd_(const char *uplo, const int *n, double *a, const int *lda, double *d, double *e,
             double *tau, double *work, const int *lwork, int *info, size_t uplo_length);
void dsytrd_sy2sb_(const char *uplo, const int *n, const int *kd, double *a, const int *lda,
                   double *ab, const int *ldab, double *tau, double *work, const int *lwork,
                   int *info, size_t uplo_length);
void dsytrd_sb2st_(const char *stage1, const char *vect, const char *uplo, const int *n,
                   const int *kd, double *ab, const int *ldab, double *d, double *e, double *hous,
                   const int *lhous, double *work, const int *lwork, int *info,
                   size_t stage1_length, size_t vect_length, size_t uplo_length);
/* One bulge-chasing task of dsytrd_sb2st (LAPACK 3.7 and later). */
void dsb2st_kernels_(const char *uplo, const int *wantz, const int *ttype, const int *st,
                     const int *ed, const int *sweep, const int *n, const int *nb, const int *ib,
                     double *a, const int *lda, double *v, double *tau, const int *ldvt,
                     double *work, size_t uplo_length);
void dormtr_(const char *side, const char *uplo, const char *trans, const int *m, const int *n,
             const double *a, const int *lda, const double *tau, double *c, const int *ldc,
             double *work, const int *lwork, int *info, size_t side_length, size_t uplo_length,
             size_t trans_length);
void dlarft_(const char *direct, const char *storev, const int *n, const int *k, const double *v,
             const int *ldv, const double *tau, double *t, const int *ldt, size_t direct_length,
             size_t storev_length);
/* Tridiagonal eigenproblems. */
void dstev_(const char *jobz, const int *n, double *d, double *e, double *z, const int *ldz,
            double *work, int *info, size_t jobz_length);
void dsterf_(const int *n, double *d, double *e, int *info);
void dstedc_(const char *compz, const int *n, double *d, double *e, double *z, const int *ldz,
             double *work, const int *lwork, int *iwork, const int *liwork, int *info,
             size_t compz_length);
void dlaed1_(const int *n, double *d, double *q, const int *ldq, int *indxq, double *rho,
             const int *cutpnt, double *work, int *iwork, int *info);

/* ---- LAPACK: norms, machine constants, scaling ---- */
double dlanst_(const char *norm, const int *n, const double *d, const double *e,
               size_t norm_length);
double dlansy_(const char *norm, const char *uplo, const int *n, const double *a, const int *lda,
               double *work, size_t norm_length, size_t uplo_length);
double dlamch_(const char *cmach, size_t cmach_length);
void dlascl_(const char *type, const int *kl, const int *ku, const double *cfrom,
             const double *cto, const int *m, const int *n, double *a, const int *lda, int *info,
             size_t type_length);

/* ---- PARPACK: implicitly restarted Lanczos ---- */
void pdsaupd_(const MPI_Fint *comm, int *ido, const char *bmat, const int *n, const char *which,
              const int *nev, const double *tol, double *resid, const int *ncv, double *v,
              const int *ldv, int *iparam, int *ipntr, double *workd, double *workl,
              const int *lworkl, int *info, size_t bmat_length, size_t which_length);
void pdseupd_(const MPI_Fint *comm, const int *rvec, const char *howmny, int *select, double *d,
              double *z, const int *ldz, const double *sigma, const char *bmat, const int *n,
              const char *which, const int *nev, const double *tol, double *resid,
              const int *ncv, double *v, const int *ldv, int *iparam, int *ipntr, double *workd,
              double *workl, const int *lworkl, int *info, size_t howmny_length,
              size_t bmat_length, size_t which_length);

/* ---- Error handlers ntkgram defines (grid/scalapack_errors.c) ----
 * They replace the libraries' own, so they must be visible to the dynamic
 * linker from the program and from libntkgram.so, whose other internals are
 * hidden: a process that loads libntkgram.so has its LAPACK and ScaLAPACK
 * argument errors recorded (and warned about on stderr) by ntkgram. */
#define NTK_REPLACES_LIBRARY_SYMBOL __attribute__((visibility("default")))
NTK_REPLACES_LIBRARY_SYMBOL void pxerbla_(const int *context, const char *name, const int *info,
                                          size_t name_length);
NTK_REPLACES_LIBRARY_SYMBOL void xerbla_(const char *name, const int *info, size_t name_length);
NTK_REPLACES_LIBRARY_SYMBOL void blacs_abort_(const int *context, const int *error_number);
NTK_REPLACES_LIBRARY_SYMBOL void Cblacs_abort(int context, int error_number);

#endif
