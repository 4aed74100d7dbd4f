/* Overflow-checked integer arithmetic for sizes (parameter counts, buffer
 * lengths, offsets): a size that does not fit is an error to report, never a
 * wrapped value. Each returns nonzero on overflow and leaves *out unspecified. */
#ifndef NTK_CORE_CHECKED_MATH_H
#define NTK_CORE_CHECKED_MATH_H

#include <stdint.h>

static inline int ntk_mul_overflow_i64(int64_t a, int64_t b, int64_t *out)
{
    return __builtin_mul_overflow(a, b, out);
}

static inline int ntk_add_overflow_i64(int64_t a, int64_t b, int64_t *out)
{
    return __builtin_add_overflow(a, b, out);
}

#endif
