/* Rank 0's eigensolver on the single-node path (gather_lapack.c): the
 * whole matrix in one array, LAPACK building blocks arranged for the
 * node's cores (docs/design.md, "The single-node eigensolver"). Internal
 * to the spectrum module.
 *
 *   values only   two-stage reduction: dsytrd_sy2sb to a band (BLAS 3),
 *                 the band to tridiagonal by bulge chasing on `threads`
 *                 threads (bulge_chase.c), dsterf; on SSE BLAS kernels
 *                 dsytrd and dsterf instead;
 *   all pairs     dsytrd, divide and conquer with its halves on two
 *                 threads (tridiagonal_split.c), and the back-transformation
 *                 with reflector blocks wider than dormtr's
 *                 (back_transform.c);
 *   the top k     dsyevr 'I' (MRRR computes only those vectors).
 *
 * `a` is the M x M lower triangle (lda M) of the symmetric matrix and is
 * destroyed; `w` receives the ascending eigenvalues (all M; for the top k
 * the first k). OpenBLAS's own thread count is the caller's to set. */
#ifndef NTK_SPECTRUM_NODE_EIGEN_H
#define NTK_SPECTRUM_NODE_EIGEN_H

#include <stdint.h>

#include "core/status.h"

/* Eigenvalues only: the two-stage reduction (`two_stage`), or dsytrd and
 * dsterf (dsyevd 'N''s algorithm), which node_values_two_stage chooses. */
ntk_status node_eigen_values(int64_t n, double *a, double *w, int threads, int two_stage);

/* Whether the two-stage reduction is the faster way to the eigenvalues
 * with these BLAS kernels: not on SSE ones ("sse", OpenBLAS's fallback for
 * CPUs it does not know), whose matrix products are too slow for its first
 * stage (docs/design.md, "The single-node eigensolver"). */
int node_values_two_stage(const char *kernels_simd);

/* All eigenpairs: `*vectors` receives a new M x M array (lda M, free() it),
 * column i for w[i]. The back-transformation splits the columns over
 * `threads` threads. */
ntk_status node_eigen_all(int64_t n, double *a, double *w, double **vectors, int threads);

/* The `pairs` smallest eigenpairs: `*vectors` a new M x pairs array. */
ntk_status node_eigen_lowest(int64_t n, int64_t pairs, double *a, double *w, double **vectors);

/* The band-to-tridiagonal step of the values-only path (bulge_chase.c):
 * `band` holds the lower band of half-width `kd` >= 1 in LAPACK's band
 * layout (entry (i, j), j <= i <= j + kd, at band[(i - j) + j * ldband])
 * with ldband >= 2 kd + 1 and rows kd + 1 .. 2 kd zero (room for the
 * bulges); destroyed. `d` (M) and `e` (M - 1) receive the tridiagonal
 * matrix, which has the band's eigenvalues. Sweeps run on `threads`
 * threads (1: in the caller's). */
ntk_status bulge_chase_band(int64_t n, int kd, double *band, int ldband, double *d, double *e,
                            int threads);

/* The eigenpairs of the tridiagonal matrix (d: M, e: M - 1; both
 * destroyed, d receives the ascending eigenvalues) into z (M x M, ld M),
 * with `work` of 1 + 4M + M^2 doubles (tridiagonal_split.c). With `threads`
 * >= 2 and M >= 512 the first split of divide and conquer runs its halves on
 * two threads; else LAPACK's dstedc. */
ntk_status tridiagonal_eigen(int n, double *d, double *e, double *z, double *work, int threads);

/* Z := Q Z for the Q of dsytrd 'L' (reflectors below the subdiagonal of
 * `a` and `tau`, as dormtr 'L' 'L' 'N'), `block` reflectors at a time
 * (back_transform.c). `z` is M x cols, ldz >= M. With `threads` > 1 each
 * thread takes a share of the columns, on one OpenBLAS thread; with 1, the
 * BLAS's own threads run the products. */
ntk_status back_transform_apply(int64_t n, int64_t cols, const double *a, int64_t lda,
                                const double *tau, double *z, int64_t ldz, int block,
                                int threads);

#endif
