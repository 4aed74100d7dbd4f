/* Overflow-checked integer arithmetic for sizes computed from user input
 * (widths, counts, grid shapes): a product that does not fit must be refused
 * by name, never wrap to a small or negative number. */
#ifndef NTK_CORE_CHECKED_MATH_H
#define NTK_CORE_CHECKED_MATH_H

#include <stdint.h>

/* *result = a * b; returns 1 (and leaves *result unspecified) on overflow. */
static inline int ntk_mul_overflows(int64_t a, int64_t b, int64_t *result)
{
    return __builtin_mul_overflow(a, b, result);
}

/* *result = a + b; returns 1 on overflow. */
static inline int ntk_add_overflows(int64_t a, int64_t b, int64_t *result)
{
    return __builtin_add_overflow(a, b, result);
}

#endif
