/* core/blas_kernels: the core-name table, the suggestion rule, and that
 * detection on this machine gives a consistent, known answer. */
#include <cblas.h>
#include <string.h>

#include "check.h"
#include "core/blas_kernels.h"

static int same(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

int main(void)
{
    /* The table: OpenBLAS's names, any case. */
    CHECK(same(ntk_blas_core_simd("Prescott"), "sse"), "Prescott");
    CHECK(same(ntk_blas_core_simd("PRESCOTT"), "sse"), "case");
    CHECK(same(ntk_blas_core_simd("Nehalem"), "sse"), "Nehalem");
    CHECK(same(ntk_blas_core_simd("Sandybridge"), "avx"), "Sandybridge");
    CHECK(same(ntk_blas_core_simd("Haswell"), "avx2"), "Haswell");
    CHECK(same(ntk_blas_core_simd("Zen"), "avx2"), "Zen");
    CHECK(same(ntk_blas_core_simd("SkylakeX"), "avx512"), "SkylakeX");
    CHECK(same(ntk_blas_core_simd("Cooperlake"), "avx512"), "Cooperlake");
    CHECK(same(ntk_blas_core_simd("SapphireRapids"), "avx512"), "SapphireRapids");
    CHECK(same(ntk_blas_core_simd("Neoverse"), "unknown"), "a name not in the table");
    CHECK(same(ntk_blas_core_simd(NULL), "unknown"), "no name");

    /* The rule: only SSE kernels on an AVX2/AVX-512 CPU. */
    CHECK(same(ntk_blas_suggested_core("sse", "avx512"), "SkylakeX"), "sse on avx512");
    CHECK(same(ntk_blas_suggested_core("sse", "avx2"), "Haswell"), "sse on avx2");
    CHECK(ntk_blas_suggested_core("sse", "avx") == NULL, "sse on avx");
    CHECK(ntk_blas_suggested_core("sse", "sse") == NULL, "sse on sse");
    CHECK(ntk_blas_suggested_core("avx2", "avx512") == NULL, "avx2 kernels on avx512");
    CHECK(ntk_blas_suggested_core("avx512", "avx512") == NULL, "matched");
    CHECK(ntk_blas_suggested_core("unknown", "avx512") == NULL, "unknown kernels");
    CHECK(ntk_blas_suggested_core("sse", "unknown") == NULL, "unknown CPU");

    /* This machine: OpenBLAS (the default build) names a core the table
     * knows; another BLAS says so; the suggestion follows the rule. */
    /* A real BLAS call first, as ntkgram makes them: OpenBLAS's queries are
     * weak references, which alone would not make the linker keep the
     * library (--as-needed), and the test would see "not OpenBLAS". */
    const double x[2] = {3.0, 4.0};
    CHECK(cblas_ddot(2, x, 1, x, 1) == 25.0, "ddot");
    ntk_blas_kernels info;
    ntk_blas_kernels_detect(&info);
    CHECK(info.library[0] != '\0', "library named");
    if (strncmp(info.library, "OpenBLAS", 8) == 0)
        CHECK(strcmp(info.kernels_simd, "unknown") != 0,
              "OpenBLAS core '%s' is not in the table", info.kernels);
    else
        CHECK(same(info.library, "not OpenBLAS") && info.suggested == NULL,
              "another BLAS: '%s'", info.library);
    CHECK(info.suggested == ntk_blas_suggested_core(info.kernels_simd, info.cpu_simd),
          "suggestion");
    char text[192];
    ntk_blas_kernels_describe(&info, text, (int)sizeof text);
    CHECK(strstr(text, info.kernels) != NULL && strstr(text, info.cpu_simd) != NULL,
          "description '%s'", text);
    printf("%s; suggested %s\n", text, info.suggested ? info.suggested : "none");
    printf("%d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
