/* Which BLAS kernels this process runs, and whether they fall short of the
 * CPU (docs/design.md, "BLAS kernels").
 *
 * OpenBLAS chooses its kernels once, when the library loads, from the CPU's
 * family and model. A CPU newer than the library is not recognised and gets
 * its Prescott (SSE3) kernels: OpenBLAS 0.3.21 (Debian 12) on an Intel Xeon of
 * family 6, model 207 runs DGEMM at a fraction of what its SkylakeX (AVX-512)
 * kernels give (docs/design.md, "BLAS kernels", has the rates). The library reads OPENBLAS_CORETYPE only at load,
 * so ntkgram cannot switch; it says so (a warning on `run`, a line in `plan`)
 * and records the kernels in summary.yaml, where a timing is read. */
#ifndef NTK_CORE_BLAS_KERNELS_H
#define NTK_CORE_BLAS_KERNELS_H

typedef struct {
    char library[96];       /* "OpenBLAS 0.3.21 ..." or "not OpenBLAS" */
    char kernels[32];       /* OpenBLAS's core name ("Prescott", "SkylakeX"), or "unknown" */
    const char *kernels_simd; /* "sse", "avx", "avx2", "avx512" or "unknown" */
    const char *cpu_simd;     /* the widest of those this CPU and OS support */
    const char *suggested;    /* an OPENBLAS_CORETYPE that would use the CPU, or NULL */
} ntk_blas_kernels;

/* Reads the linked BLAS (OpenBLAS's own queries, weak: another BLAS gives
 * "not OpenBLAS" and no suggestion) and the CPU (cpuid). Cheap; any rank. */
void ntk_blas_kernels_detect(ntk_blas_kernels *info);

/* The vector extension an OpenBLAS core name's kernels use; "unknown" for a
 * name this table does not know. Case-insensitive. */
const char *ntk_blas_core_simd(const char *core);

/* The OPENBLAS_CORETYPE to suggest, or NULL: only when the kernels are SSE
 * ones (the fallback for an unrecognised CPU) on a CPU with AVX2 or AVX-512,
 * the case measured to lose most of the speed. Kernels one generation behind
 * (AVX2 kernels on an AVX-512 CPU) are left alone: not always slower. */
const char *ntk_blas_suggested_core(const char *kernels_simd, const char *cpu_simd);

/* One line for people: "OpenBLAS 0.3.21, Prescott kernels (sse) on a CPU with
 * avx512". */
void ntk_blas_kernels_describe(const ntk_blas_kernels *info, char *text, int size);

/* The warning `run` prints on rank 0 when a core is suggested (nothing
 * otherwise). */
void ntk_blas_kernels_warn(const ntk_blas_kernels *info);

#endif
