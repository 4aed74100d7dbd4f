/* The fixed-order SGEMM's framework and its portable kernel
 * (core/fixed_sgemm.h). The framework's blocking (rows per pass, which
 * microtile covers an entry) only moves work between calls of the kernels:
 * it cannot change an entry's bits, which the order of core/fixed_sgemm.h
 * fixes. */
#include "core/fixed_sgemm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/fixed_sgemm_kernels.h"

/* Rows of A per pass over B: 128 rows of one depth block (256 KiB) stay in
 * the core's L2 cache while the columns of B go by. */
#define ROWS_PER_PASS 128

/* One lane vector's sum in the stated tree. */
static float lanes_sum(const float lane[8])
{
    return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}

static void portable_entry(const float *a, const float *b, int64_t kc, float *c, int first)
{
    float lane[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    int64_t k = 0;
    for (; k + 8 <= kc; k += 8)
        for (int l = 0; l < 8; ++l)
            lane[l] = fmaf(a[k + l], b[k + l], lane[l]);
    if (k < kc) /* the padding's fma(0, 0, lane) as the vector kernels' masked
                 * loads do it: it turns a lane's -0 into +0 */
        for (int l = 0; l < 8; ++l)
            lane[l] = k + l < kc ? fmaf(a[k + l], b[k + l], lane[l]) : fmaf(0.0f, 0.0f, lane[l]);
    const float sum = lanes_sum(lane);
    *c = first ? sum : *c + sum;
}

static void portable_tile(const float *a, int64_t lda, const float *b, int64_t ldb, int64_t kc,
                          float *c, int64_t ldc, int first)
{
    for (int j = 0; j < FIXED_SGEMM_COLS; ++j)
        for (int i = 0; i < FIXED_SGEMM_ROWS; ++i)
            portable_entry(a + i * lda, b + j * ldb, kc, c + i + j * ldc, first);
}

static void portable_column(const float *a, int64_t lda, const float *b, int64_t kc, float *c,
                            int first)
{
    for (int i = 0; i < FIXED_SGEMM_ROWS; ++i)
        portable_entry(a + i * lda, b, kc, c + i, first);
}

const fixed_sgemm_kernels fixed_sgemm_portable = {"portable", portable_tile, portable_column,
                                                  portable_entry};

void fixed_sgemm_run(const fixed_sgemm_kernels *kernels, int64_t m, int64_t n, int64_t depth,
                     const float *a, int64_t lda, const float *b, int64_t ldb, float *c,
                     int64_t ldc)
{
    if (depth <= 0) {
        for (int64_t j = 0; j < n; ++j)
            memset(c + j * ldc, 0, (size_t)(m > 0 ? m : 0) * sizeof *c);
        return;
    }
    for (int64_t k0 = 0; k0 < depth; k0 += NTK_FIXED_SGEMM_BLOCK) {
        const int64_t kc = depth - k0 < NTK_FIXED_SGEMM_BLOCK ? depth - k0 : NTK_FIXED_SGEMM_BLOCK;
        const int first = k0 == 0;
        for (int64_t i0 = 0; i0 < m; i0 += ROWS_PER_PASS) {
            const int64_t i1 = m - i0 < ROWS_PER_PASS ? m : i0 + ROWS_PER_PASS;
            for (int64_t j = 0; j < n; j += FIXED_SGEMM_COLS) {
                const int64_t cols = n - j < FIXED_SGEMM_COLS ? n - j : FIXED_SGEMM_COLS;
                int64_t i = i0;
                if (cols == FIXED_SGEMM_COLS)
                    for (; i + FIXED_SGEMM_ROWS <= i1; i += FIXED_SGEMM_ROWS)
                        kernels->tile(a + i * lda + k0, lda, b + j * ldb + k0, ldb, kc,
                                      c + i + j * ldc, ldc, first);
                for (int64_t jj = j; jj < j + cols; ++jj) {
                    int64_t ii = i;
                    if (cols < FIXED_SGEMM_COLS)
                        for (; ii + FIXED_SGEMM_ROWS <= i1; ii += FIXED_SGEMM_ROWS)
                            kernels->column(a + ii * lda + k0, lda, b + jj * ldb + k0, kc,
                                            c + ii + jj * ldc, first);
                    for (; ii < i1; ++ii)
                        kernels->entry(a + ii * lda + k0, b + jj * ldb + k0, kc,
                                       c + ii + jj * ldc, first);
                }
            }
        }
    }
}

/* The kernels for this CPU, chosen once. NTK_TEST_FIXED_SGEMM=portable
 * forces the portable one, so that the tests can run a whole job on it
 * (and its warning) on a CPU that has AVX2. */
static const fixed_sgemm_kernels *chosen(void)
{
    static const fixed_sgemm_kernels *kernels;
    if (kernels == NULL) {
        const fixed_sgemm_kernels *pick = &fixed_sgemm_portable;
        const char *forced = getenv("NTK_TEST_FIXED_SGEMM");
#if defined(__x86_64__) || defined(__i386__)
        __builtin_cpu_init();
        if (fixed_sgemm_avx2.tile != NULL && __builtin_cpu_supports("avx2") &&
            __builtin_cpu_supports("fma") && !(forced && strcmp(forced, "portable") == 0))
            pick = &fixed_sgemm_avx2;
#endif
        (void)forced;
        kernels = pick;
    }
    return kernels;
}

void ntk_fixed_sgemm_tn(int64_t m, int64_t n, int64_t depth, const float *a, int64_t lda,
                        const float *b, int64_t ldb, float *c, int64_t ldc)
{
    fixed_sgemm_run(chosen(), m, n, depth, a, lda, b, ldb, c, ldc);
}

const char *ntk_fixed_sgemm_kernel(void)
{
    return chosen()->name;
}
