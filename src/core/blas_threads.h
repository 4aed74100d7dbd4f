/* OpenBLAS's own thread count, where the BLAS is OpenBLAS (weak symbols:
 * a build on another BLAS, NTK_BLAS=generic, mkl, blis, or the sanitizer
 * lane's netlib, still links; there these do nothing and the BLAS keeps its
 * own threads). */
#ifndef NTK_CORE_BLAS_THREADS_H
#define NTK_CORE_BLAS_THREADS_H

/* The current count, 0 when the BLAS is not OpenBLAS. */
int ntk_blas_threads(void);

/* Sets it (process-wide); nothing when the BLAS is not OpenBLAS. */
void ntk_blas_set_threads(int threads);

#endif
