/* The fixed-order SGEMM's AVX2 kernels (core/fixed_sgemm_kernels.h): the
 * order of core/fixed_sgemm.h with one 8-float register per entry as its
 * lanes. Compiled for AVX2 and FMA function by function, so the rest of the
 * program keeps the build's baseline; fixed_sgemm.c calls them only on a CPU
 * that has both. */
#include "core/fixed_sgemm_kernels.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))

/* Four entries' lanes summed in the stated tree: hadd pairs lanes (0 1)
 * (2 3) within each 128-bit half, the second hadd adds those pairs, and the
 * halves (lanes 0-3 and 4-7) are added last. */
AVX2 static inline __m128 sum_lanes4(__m256 a0, __m256 a1, __m256 a2, __m256 a3)
{
    const __m256 pairs01 = _mm256_hadd_ps(a0, a1), pairs23 = _mm256_hadd_ps(a2, a3);
    const __m256 quads = _mm256_hadd_ps(pairs01, pairs23);
    return _mm_add_ps(_mm256_castps256_ps128(quads), _mm256_extractf128_ps(quads, 1));
}

/* Lanes [0, count) set: the block's last values, the rest read as zeros. */
AVX2 static inline __m256i tail_mask(int64_t count)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)count),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* The rest of a depth block from value k on, by the calling kernel's
 * FIXED_SGEMM_STEP(LOAD, k) (eight values into each of its lane vectors):
 * whole 8-value words, then the block's last values masked. */
#define FIXED_SGEMM_MASKED(p) _mm256_maskload_ps((p), tail)
#define FIXED_SGEMM_REST(k, kc)                                                                    \
    do {                                                                                           \
        for (; (k) + 8 <= (kc); (k) += 8)                                                          \
            FIXED_SGEMM_STEP(_mm256_loadu_ps, k);                                                  \
        if ((k) < (kc)) {                                                                          \
            const __m256i tail = tail_mask((kc) - (k));                                            \
            FIXED_SGEMM_STEP(FIXED_SGEMM_MASKED, k);                                               \
        }                                                                                          \
    } while (0)

AVX2 static void avx2_tile(const float *a, int64_t lda, const float *b, int64_t ldb, int64_t kc,
                           float *c, int64_t ldc, int first)
{
    __m256 c00 = _mm256_setzero_ps(), c10 = c00, c20 = c00, c30 = c00;
    __m256 c01 = c00, c11 = c00, c21 = c00, c31 = c00;
    __m256 c02 = c00, c12 = c00, c22 = c00, c32 = c00;
    const float *a0 = a, *a1 = a + lda, *a2 = a + 2 * lda, *a3 = a + 3 * lda;
    const float *b0 = b, *b1 = b + ldb, *b2 = b + 2 * ldb;
#define FIXED_SGEMM_STEP(LOAD, k)                                                                  \
    do {                                                                                           \
        const __m256 y0 = LOAD(b0 + (k)), y1 = LOAD(b1 + (k)), y2 = LOAD(b2 + (k));                \
        __m256 x = LOAD(a0 + (k));                                                                 \
        c00 = _mm256_fmadd_ps(x, y0, c00), c01 = _mm256_fmadd_ps(x, y1, c01);                      \
        c02 = _mm256_fmadd_ps(x, y2, c02);                                                         \
        x = LOAD(a1 + (k));                                                                        \
        c10 = _mm256_fmadd_ps(x, y0, c10), c11 = _mm256_fmadd_ps(x, y1, c11);                      \
        c12 = _mm256_fmadd_ps(x, y2, c12);                                                         \
        x = LOAD(a2 + (k));                                                                        \
        c20 = _mm256_fmadd_ps(x, y0, c20), c21 = _mm256_fmadd_ps(x, y1, c21);                      \
        c22 = _mm256_fmadd_ps(x, y2, c22);                                                         \
        x = LOAD(a3 + (k));                                                                        \
        c30 = _mm256_fmadd_ps(x, y0, c30), c31 = _mm256_fmadd_ps(x, y1, c31);                      \
        c32 = _mm256_fmadd_ps(x, y2, c32);                                                         \
    } while (0)
    int64_t k = 0;
    for (; k + 16 <= kc; k += 16) {
        FIXED_SGEMM_STEP(_mm256_loadu_ps, k);
        FIXED_SGEMM_STEP(_mm256_loadu_ps, k + 8);
    }
    FIXED_SGEMM_REST(k, kc);
#undef FIXED_SGEMM_STEP
    __m128 s0 = sum_lanes4(c00, c10, c20, c30), s1 = sum_lanes4(c01, c11, c21, c31);
    __m128 s2 = sum_lanes4(c02, c12, c22, c32);
    if (!first) {
        s0 = _mm_add_ps(_mm_loadu_ps(c), s0);
        s1 = _mm_add_ps(_mm_loadu_ps(c + ldc), s1);
        s2 = _mm_add_ps(_mm_loadu_ps(c + 2 * ldc), s2);
    }
    _mm_storeu_ps(c, s0);
    _mm_storeu_ps(c + ldc, s1);
    _mm_storeu_ps(c + 2 * ldc, s2);
}

AVX2 static void avx2_column(const float *a, int64_t lda, const float *b, int64_t kc, float *c,
                             int first)
{
    __m256 c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0, c3 = c0;
    const float *a0 = a, *a1 = a + lda, *a2 = a + 2 * lda, *a3 = a + 3 * lda;
#define FIXED_SGEMM_STEP(LOAD, k)                                                                  \
    do {                                                                                           \
        const __m256 y = LOAD(b + (k));                                                            \
        c0 = _mm256_fmadd_ps(LOAD(a0 + (k)), y, c0), c1 = _mm256_fmadd_ps(LOAD(a1 + (k)), y, c1);  \
        c2 = _mm256_fmadd_ps(LOAD(a2 + (k)), y, c2), c3 = _mm256_fmadd_ps(LOAD(a3 + (k)), y, c3);  \
    } while (0)
    int64_t k = 0;
    FIXED_SGEMM_REST(k, kc);
#undef FIXED_SGEMM_STEP
    __m128 sums = sum_lanes4(c0, c1, c2, c3);
    if (!first)
        sums = _mm_add_ps(_mm_loadu_ps(c), sums);
    _mm_storeu_ps(c, sums);
}

AVX2 static void avx2_entry(const float *a, const float *b, int64_t kc, float *c, int first)
{
    __m256 lanes = _mm256_setzero_ps();
    const __m256 zero = lanes;
    int64_t k = 0;
    for (; k + 8 <= kc; k += 8)
        lanes = _mm256_fmadd_ps(_mm256_loadu_ps(a + k), _mm256_loadu_ps(b + k), lanes);
    if (k < kc) {
        const __m256i mask = tail_mask(kc - k);
        lanes = _mm256_fmadd_ps(_mm256_maskload_ps(a + k, mask), _mm256_maskload_ps(b + k, mask),
                                lanes);
    }
    const float sum = _mm_cvtss_f32(sum_lanes4(lanes, zero, zero, zero));
    *c = first ? sum : *c + sum;
}

const fixed_sgemm_kernels fixed_sgemm_avx2 = {"avx2", avx2_tile, avx2_column, avx2_entry};

#else
const fixed_sgemm_kernels fixed_sgemm_avx2 = {"avx2", 0, 0, 0};
#endif
