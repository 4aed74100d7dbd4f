/* Counter-based random numbers (see random.h).
 *
 * Bits come from three rounds of the splitmix64 finaliser over the key
 * (seed, stream, index); it passes BigCrush as a counter-mode generator and
 * costs a few nanoseconds, which is all parameter and data generation needs.
 * Normals use Box-Muller on two uniforms drawn from a sub-stream. */
#include "core/random.h"

#include <math.h>

static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t ntk_random_bits(uint64_t seed, uint64_t stream, uint64_t index)
{
    return mix64(mix64(mix64(seed) ^ stream) ^ index);
}

double ntk_random_uniform(uint64_t seed, uint64_t stream, uint64_t index)
{
    /* 53 random bits, shifted by half a step so neither 0 nor 1 occurs. */
    uint64_t bits = ntk_random_bits(seed, stream, index) >> 11;
    return ((double)bits + 0.5) * (1.0 / 9007199254740992.0);
}

double ntk_random_normal(uint64_t seed, uint64_t stream, uint64_t index)
{
    const double two_pi = 6.283185307179586476925286766559;
    /* Each normal owns two uniforms at 2*index and 2*index+1 of a sub-stream. */
    uint64_t sub = stream ^ 0x6a09e667f3bcc909ULL;
    double u1 = ntk_random_uniform(seed, sub, 2 * index);
    double u2 = ntk_random_uniform(seed, sub, 2 * index + 1);
    return sqrt(-2.0 * log(u1)) * cos(two_pi * u2);
}
