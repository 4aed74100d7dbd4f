/* Counter-based random numbers: every value is a pure function of
 * (seed, stream, index), so any rank can produce any entry of a parameter
 * matrix or a synthetic data set without generating what comes before it.
 * Results therefore never depend on the number of ranks. Streams separate
 * independent uses (layer weights, biases, input columns, ...). */
#ifndef NTK_CORE_RANDOM_H
#define NTK_CORE_RANDOM_H

#include <stdint.h>

/* 64 well-mixed bits. */
uint64_t ntk_random_bits(uint64_t seed, uint64_t stream, uint64_t index);
/* Uniform in the open interval (0, 1). */
double ntk_random_uniform(uint64_t seed, uint64_t stream, uint64_t index);
/* Standard normal. */
double ntk_random_normal(uint64_t seed, uint64_t stream, uint64_t index);

#endif
