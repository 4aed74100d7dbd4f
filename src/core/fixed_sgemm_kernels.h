/* The fixed-order SGEMM's kernels (private to core/fixed_sgemm*.c and its
 * test): the framework (fixed_sgemm.c) cuts the product into depth blocks and
 * microtiles, a kernel computes one microtile over one depth block. Every
 * kernel sums in the order core/fixed_sgemm.h states, so they are
 * interchangeable bit for bit. */
#ifndef NTK_CORE_FIXED_SGEMM_KERNELS_H
#define NTK_CORE_FIXED_SGEMM_KERNELS_H

#include <stdint.h>

/* Microtile: 4 rows of A by 3 columns of B (12 lane vectors and the 3 of B,
 * with one of A, fill AVX2's 16 registers). */
#define FIXED_SGEMM_ROWS 4
#define FIXED_SGEMM_COLS 3

typedef struct {
    const char *name;
    /* C[0..4) x [0..3) over one depth block of kc values: C = block sum
     * (first) or C + block sum. */
    void (*tile)(const float *a, int64_t lda, const float *b, int64_t ldb, int64_t kc, float *c,
                 int64_t ldc, int first);
    /* C[0..4) x one column: the last columns when n is no multiple of 3
     * (a 64-column block leaves one in 64, which entry by entry would run
     * at a fraction of the tile's rate). */
    void (*column)(const float *a, int64_t lda, const float *b, int64_t kc, float *c, int first);
    /* One entry, for the remaining edges. */
    void (*entry)(const float *a, const float *b, int64_t kc, float *c, int first);
} fixed_sgemm_kernels;

extern const fixed_sgemm_kernels fixed_sgemm_portable;
/* NULL members where the compiler cannot target AVX2 */
extern const fixed_sgemm_kernels fixed_sgemm_avx2;

/* ntk_fixed_sgemm_tn on the given kernels (the test runs each). */
void fixed_sgemm_run(const fixed_sgemm_kernels *kernels, int64_t m, int64_t n, int64_t depth,
                     const float *a, int64_t lda, const float *b, int64_t ldb, float *c,
                     int64_t ldc);

#endif
