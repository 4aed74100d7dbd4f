/* NTK_VECTOR_CLONES: compile a hot function twice, for the baseline x86-64
 * (SSE2) and for AVX2, and pick one at load time (GCC's target_clones), so
 * the infinite-width maps' loops use the wider vectors where the CPU has
 * them without the build asking for -march.
 *
 * Both versions compute the same bits: AVX2 does not enable FMA, so no
 * multiply-add is contracted, and the loops so marked reduce nothing across
 * vector lanes (each element's arithmetic is the scalar one, in the scalar
 * order). Results thus do not depend on which nodes a job lands on. */
#ifndef NTK_CORE_VECTOR_CLONES_H
#define NTK_CORE_VECTOR_CLONES_H

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define NTK_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define NTK_VECTOR_CLONES
#endif

#endif
