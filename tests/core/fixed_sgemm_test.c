/* core/fixed_sgemm: every kernel against a plain loop of the order
 * core/fixed_sgemm.h states, bit for bit, over edge shapes (rows not a
 * multiple of 4, columns not of 3, depths around 8 and the 512 block, odd
 * strides); an entry's bits the same whatever call it is part of; the error
 * against a double inner product within depth x u; and, on a CPU with AVX2
 * and FMA, that the AVX2 kernel is the one that runs. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/fixed_sgemm.h"
#include "core/fixed_sgemm_kernels.h"

/* The stated order, written out plainly: per block of 512, lane l takes
 * k = l, l + 8, ... (zeros past the block's end, up to a multiple of 8). */
static float reference_entry(const float *a, const float *b, int64_t depth)
{
    float entry = 0.0f;
    for (int64_t k0 = 0; k0 < depth; k0 += 512) {
        const int64_t end = k0 + 512 < depth ? k0 + 512 : depth;
        const int64_t padded_end = k0 + (end - k0 + 7) / 8 * 8;
        float lane[8];
        for (int l = 0; l < 8; ++l) {
            lane[l] = 0.0f;
            for (int64_t k = k0 + l; k < padded_end; k += 8)
                lane[l] = k < end ? fmaf(a[k], b[k], lane[l]) : fmaf(0.0f, 0.0f, lane[l]);
        }
        const float block = ((lane[0] + lane[1]) + (lane[2] + lane[3])) +
                            ((lane[4] + lane[5]) + (lane[6] + lane[7]));
        entry = k0 == 0 ? block : entry + block;
    }
    return entry;
}

static uint64_t state = 88172645463325252ull;
static float random_value(void)
{
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    const uint64_t r = state % 1000;
    if (r < 10)
        return r < 5 ? 0.0f : -0.0f;
    /* magnitudes over several binades, both signs */
    return (float)((double)(state >> 11) / 9007199254740992.0 - 0.5) * ldexpf(1.0f, (int)(r % 7) - 3);
}

static int same_bits(float x, float y)
{
    return memcmp(&x, &y, sizeof x) == 0;
}

int main(void)
{
    const int64_t max_m = 130, max_n = 64, max_depth = 1100, lda = max_depth + 3;
    float *a = malloc(sizeof(float) * max_m * lda), *b = malloc(sizeof(float) * max_n * lda);
    const int64_t ldc = max_m + 2;
    float *c = malloc(sizeof(float) * ldc * max_n), *part = malloc(sizeof(float) * ldc * max_n);
    for (int64_t e = 0; e < max_m * lda; ++e)
        a[e] = random_value();
    for (int64_t e = 0; e < max_n * lda; ++e)
        b[e] = random_value();

    const fixed_sgemm_kernels *kernels[] = {&fixed_sgemm_portable, &fixed_sgemm_avx2};
    const int64_t ms[] = {1, 2, 3, 4, 5, 8, 13, 130}, ns[] = {1, 2, 3, 4, 5, 7, 64};
    const int64_t depths[] = {0, 1, 7, 8, 9, 15, 16, 17, 511, 512, 513, 1100};
    for (int kind = 0; kind < 2; ++kind) {
        if (kernels[kind]->tile == NULL)
            continue;
#if defined(__x86_64__) || defined(__i386__)
        __builtin_cpu_init();
        if (kind == 1 && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")))
            continue;
#endif
        for (size_t im = 0; im < sizeof ms / sizeof ms[0]; ++im)
            for (size_t in = 0; in < sizeof ns / sizeof ns[0]; ++in)
                for (size_t id = 0; id < sizeof depths / sizeof depths[0]; ++id) {
                    const int64_t m = ms[im], n = ns[in], depth = depths[id];
                    for (int64_t e = 0; e < ldc * max_n; ++e)
                        c[e] = NAN; /* every entry must be written, also at depth 0 */
                    fixed_sgemm_run(kernels[kind], m, n, depth, a, lda, b, lda, c, ldc);
                    int wrong = 0;
                    for (int64_t j = 0; j < n; ++j)
                        for (int64_t i = 0; i < m; ++i)
                            wrong += !same_bits(c[i + j * ldc],
                                                reference_entry(a + i * lda, b + j * lda, depth));
                    CHECK(wrong == 0, "%s kernel, m %lld n %lld depth %lld: %d entries differ",
                          kernels[kind]->name, (long long)m, (long long)n, (long long)depth, wrong);
                }
    }

    /* The entry's bits do not depend on the call: the whole product and
     * the one of rows [5, 130) x columns [2, 64) agree where they overlap. */
    ntk_fixed_sgemm_tn(max_m, max_n, max_depth, a, lda, b, lda, c, ldc);
    ntk_fixed_sgemm_tn(max_m - 5, max_n - 2, max_depth, a + 5 * lda, lda, b + 2 * lda, lda, part,
                       ldc);
    int moved = 0;
    for (int64_t j = 0; j < max_n - 2; ++j)
        for (int64_t i = 0; i < max_m - 5; ++i)
            moved += !same_bits(part[i + j * ldc], c[i + 5 + (j + 2) * ldc]);
    CHECK(moved == 0, "%d entries changed with the call's shape", moved);

    /* The error: within depth x u of the sum of |a_k b_k| (the sequential
     * sum's bound; the lanes' tree only shortens the chains). */
    double worst = 0.0;
    for (int64_t j = 0; j < max_n; ++j)
        for (int64_t i = 0; i < max_m; ++i) {
            double exact = 0.0, size = 0.0;
            for (int64_t k = 0; k < max_depth; ++k) {
                exact += (double)a[i * lda + k] * (double)b[j * lda + k];
                size += fabs((double)a[i * lda + k] * (double)b[j * lda + k]);
            }
            const double ratio = fabs((double)c[i + j * ldc] - exact) / (size * ldexp(1.0, -24));
            worst = ratio > worst ? ratio : worst;
        }
    CHECK(worst <= (double)max_depth, "error %.1f x u x sum |a b| (bound %lld)", worst,
          (long long)max_depth);

#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        CHECK(strcmp(ntk_fixed_sgemm_kernel(), "avx2") == 0, "this CPU has AVX2 and FMA but runs %s",
              ntk_fixed_sgemm_kernel());
#endif
    printf("kernel %s; error at most %.2f u x sum |a b| at depth %lld\n", ntk_fixed_sgemm_kernel(),
           worst, (long long)max_depth);
    printf("%d checks, %d failures\n", checks, failures);
    free(a), free(b), free(c), free(part);
    return failures == 0 ? 0 : 1;
}
