/* Which BLAS kernels run (see blas_kernels.h). */
#include "core/blas_kernels.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"

/* OpenBLAS's own queries, weak so that a build on another BLAS (NTK_BLAS=
 * generic, mkl, blis) links and reports "not OpenBLAS". */
char *openblas_get_corename(void) __attribute__((weak));
char *openblas_get_config(void) __attribute__((weak));

/* OpenBLAS's DYNAMIC_ARCH core names (driver/others/dynamic.c) by the widest
 * vector extension their DGEMM kernels use. */
static const struct {
    const char *core;
    const char *simd;
} core_simd[] = {
    {"SkylakeX", "avx512"},  {"Cooperlake", "avx512"}, {"SapphireRapids", "avx512"},
    {"Haswell", "avx2"},     {"Zen", "avx2"},          {"Dhyana", "avx2"},
    {"Sandybridge", "avx"},  {"Bulldozer", "avx"},     {"Piledriver", "avx"},
    {"Steamroller", "avx"},  {"Excavator", "avx"},     {"Katmai", "sse"},
    {"Coppermine", "sse"},   {"Northwood", "sse"},     {"Prescott", "sse"},
    {"Banias", "sse"},       {"Atom", "sse"},          {"Core2", "sse"},
    {"Penryn", "sse"},       {"Dunnington", "sse"},    {"Nehalem", "sse"},
    {"Athlon", "sse"},       {"Opteron", "sse"},       {"Opteron_SSE3", "sse"},
    {"Barcelona", "sse"},    {"Nano", "sse"},          {"Bobcat", "sse"},
};

const char *ntk_blas_core_simd(const char *core)
{
    if (core != NULL)
        for (size_t i = 0; i < sizeof core_simd / sizeof core_simd[0]; ++i)
            if (strcasecmp(core, core_simd[i].core) == 0)
                return core_simd[i].simd;
    return "unknown";
}

const char *ntk_blas_suggested_core(const char *kernels_simd, const char *cpu_simd)
{
    if (kernels_simd == NULL || cpu_simd == NULL || strcmp(kernels_simd, "sse") != 0)
        return NULL;
    if (strcmp(cpu_simd, "avx512") == 0)
        return "SkylakeX";
    if (strcmp(cpu_simd, "avx2") == 0)
        return "Haswell";
    return NULL;
}

/* The widest extension both the CPU and the OS (saved register state) allow:
 * GCC's and clang's cpu-feature tests check both. SkylakeX kernels need the
 * F, CD, BW, DQ and VL subsets; Haswell's AVX2 and FMA. */
static const char *cpu_simd_level(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl"))
        return "avx512";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return "avx2";
    if (__builtin_cpu_supports("avx"))
        return "avx";
    if (__builtin_cpu_supports("sse3"))
        return "sse";
#endif
    return "unknown";
}

void ntk_blas_kernels_detect(ntk_blas_kernels *info)
{
    memset(info, 0, sizeof *info);
    const char *config = openblas_get_config != NULL ? openblas_get_config() : NULL;
    const char *core = openblas_get_corename != NULL ? openblas_get_corename() : NULL;
    /* The config string starts "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ...";
     * its first two words name the library. */
    if (config != NULL) {
        int words = 0, end = 0;
        while (config[end] != '\0' && end < (int)sizeof info->library - 1) {
            if (config[end] == ' ' && ++words == 2)
                break;
            ++end;
        }
        snprintf(info->library, sizeof info->library, "%.*s", end, config);
    } else {
        snprintf(info->library, sizeof info->library, "not OpenBLAS");
    }
    snprintf(info->kernels, sizeof info->kernels, "%s", core != NULL ? core : "unknown");
    info->kernels_simd = ntk_blas_core_simd(core);
    info->cpu_simd = cpu_simd_level();
    info->suggested = ntk_blas_suggested_core(info->kernels_simd, info->cpu_simd);
}

void ntk_blas_kernels_describe(const ntk_blas_kernels *info, char *text, int size)
{
    snprintf(text, (size_t)size, "%s, %s kernels (%s) on a CPU with %s", info->library,
             info->kernels, info->kernels_simd, info->cpu_simd);
}

void ntk_blas_kernels_warn(const ntk_blas_kernels *info)
{
    if (info->suggested == NULL)
        return;
    ntk_warn("%s runs its %s (%s) kernels on a CPU with %s, 3-5x slower; "
             "OPENBLAS_CORETYPE=%s in the environment of the ranks selects faster ones "
             "(docs/performance.md, \"BLAS kernels\")",
             info->library, info->kernels, info->kernels_simd, info->cpu_simd, info->suggested);
}
