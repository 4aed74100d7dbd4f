/* Helpers shared by the model tests: building a model spec by hand and
 * deterministic test inputs. Assertions are the shared CHECK (tests/check.h). */
#ifndef NTK_TESTS_MODEL_TEST_UTIL_H
#define NTK_TESTS_MODEL_TEST_UTIL_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "core/random.h"
#include "model/model.h"

/* widths: hidden and output widths (n_1..n_{L+1}); acts: activation after each hidden layer. */
static inline void test_spec(ntk_model_spec *spec, int n_dense, const int64_t *widths,
                             const ntk_activation *acts, ntk_parameterization param,
                             double w_std, double b_std, uint64_t seed)
{
    memset(spec, 0, sizeof *spec);
    spec->n_dense = n_dense;
    for (int i = 0; i < n_dense; ++i) {
        spec->width[i] = widths[i];
        spec->act[i] = i + 1 < n_dense ? acts[i] : NTK_ACT_IDENTITY;
    }
    spec->parameterization = param;
    spec->w_std = w_std;
    spec->b_std = b_std;
    spec->seed = seed;
}

static inline void test_inputs(double *x, int64_t count, int64_t dim, uint64_t seed)
{
    for (int64_t e = 0; e < count * dim; ++e)
        x[e] = ntk_random_normal(seed, 991, (uint64_t)e);
}

#endif
