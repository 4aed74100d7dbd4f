/* NTK_VECTOR_CLONES: compile a hot function three times, for the baseline
 * x86-64 (SSE2), for AVX2 and for AVX-512F, and pick one at load time (GCC's
 * target_clones), so the infinite-width maps' loops use the wider vectors
 * where the CPU has them without the build asking for -march. AVX-512's 32
 * vector registers matter as much as its width: relu's row loop keeps its
 * arccosine's constants in registers instead of spilling them.
 *
 * All versions compute the same bits: neither AVX2 nor AVX-512F enables FMA,
 * so no multiply-add is contracted (and the files so compiled say
 * -ffp-contract=off, src/model/sources.cmake), and the loops so marked
 * reduce nothing across vector lanes (each element's arithmetic is the
 * scalar one, in the scalar order). Results thus do not depend on which
 * nodes a job lands on. */
#ifndef NTK_CORE_VECTOR_CLONES_H
#define NTK_CORE_VECTOR_CLONES_H

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define NTK_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define NTK_VECTOR_CLONES
#endif

/* NTK_CLONED_HELPER: a static helper of such a function, inlined into each
 * clone whatever its size (a helper GCC leaves out of line is compiled once,
 * for the baseline, and the clones' vectors stop at its calls). */
#if defined(__GNUC__)
#define NTK_CLONED_HELPER static inline __attribute__((always_inline))
#else
#define NTK_CLONED_HELPER static inline
#endif

#endif
