#include "core/blas_threads.h"

#include <stddef.h>

void openblas_set_num_threads(int threads) __attribute__((weak));
int openblas_get_num_threads(void) __attribute__((weak));

int ntk_blas_threads(void)
{
    return openblas_get_num_threads != NULL ? openblas_get_num_threads() : 0;
}

void ntk_blas_set_threads(int threads)
{
    if (openblas_set_num_threads != NULL && threads > 0)
        openblas_set_num_threads(threads);
}
