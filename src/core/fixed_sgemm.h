/* A float32 Gram product whose rounding does not depend on the call's shape
 * (docs/precision.md, "Ranks and grids"; docs/design.md, "The fixed-order
 * SGEMM").
 *
 * OpenBLAS's SGEMM rounds an entry differently depending on the shape of the
 * call it is part of, so a float32 Theta assembled from it would change its
 * bits with the grid. This product fixes the order of every entry's sums as a
 * function of the depth alone:
 *   - the depth is cut into blocks of NTK_FIXED_SGEMM_BLOCK values at
 *     offsets 0, 512, 1024, ...;
 *   - within a block, value k goes to lane k mod 8, each lane a sequence of
 *     fused multiply-adds from 0 in increasing k (the block's length padded
 *     with zeros to a multiple of 8);
 *   - the 8 lanes are summed as ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7));
 *   - the blocks' sums are added to the entry in increasing order, in float32.
 * So an entry's bits depend on its two vectors only: not on m, n, the
 * strides, the position in the call or the CPU's kernel (the AVX2 kernel and
 * the portable one give the same bits; the test compares both with a plain
 * loop of that order). */
#ifndef NTK_CORE_FIXED_SGEMM_H
#define NTK_CORE_FIXED_SGEMM_H

#include <stdint.h>

/* Part of the order above: never a tuning parameter. */
#define NTK_FIXED_SGEMM_BLOCK 512

/* C = A^T B, column-major m x n with leading dimension ldc: C[i + j ldc] is
 * the inner product of a + i lda and b + j ldb, each of `depth` floats
 * (OpenBLAS's cblas_sgemm(ColMajor, Trans, NoTrans, m, n, depth, 1, a, lda,
 * b, ldb, 0, c, ldc) with the order above). depth 0 gives zeros. */
void ntk_fixed_sgemm_tn(int64_t m, int64_t n, int64_t depth, const float *a, int64_t lda,
                        const float *b, int64_t ldb, float *c, int64_t ldc);

/* The kernel ntk_fixed_sgemm_tn runs on this CPU: "avx2" (AVX2 and FMA) or
 * "portable" (C with fmaf, the same bits at about a hundredth of the speed:
 * a fallback for CPUs without them, which a mixed or float32 run warns of). */
const char *ntk_fixed_sgemm_kernel(void);

#endif
