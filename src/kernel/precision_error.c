/* The error statement of kernel.precision mixed (kernel.h, ntk_precision_error;
 * docs/precision.md). */
#include <math.h>

#include "kernel/kernel_local.h"

ntk_status kernel_precision_error_begin(const ntk_kernel_config *config, const ntk_model *model,
                                        int64_t chunk_passes, ntk_precision_error *error)
{
    NTK_TRY(kernel_check_precision(config));
    error->precision = config->kernel->precision;
    error->unit_roundoff = ldexp(1.0, -24);
    ntk_status status = NTK_OK;
    error->accumulation_length = kernel_structured_accumulation_length(config, model, &status);
    NTK_TRY(status);
    /* Theta stored rounded to float32, and again after each chunk pass adds
     * its term (mixed adds the passes in float64: nothing of float32's) */
    if (error->precision == NTK_PRECISION_FLOAT32)
        error->accumulation_length += 1 + chunk_passes;
    const double length = (double)error->accumulation_length;
    error->theta_relative_bound = length * error->unit_roundoff;
    error->theta_relative_typical = sqrt(length) * error->unit_roundoff;
    error->theta_frobenius = NAN;
    error->solver_error = NAN;
    error->eigenvalue_bound = NAN;
    error->bound_factor = NAN;
    error->eigenvalues = error->eigenvalues_above = 0;
    return NTK_OK;
}

void kernel_precision_error_eigenvalues(ntk_precision_error *error, double solver_error,
                                        const double *values, int64_t count)
{
    error->eigenvalues = count;
    error->eigenvalues_above = 0;
    if (count <= 0)
        return;
    const double lambda_max = fabs(values[0]);
    error->solver_error = solver_error;
    error->eigenvalue_bound = error->theta_relative_bound * error->theta_frobenius + solver_error;
    error->bound_factor = lambda_max > 0.0
                              ? error->eigenvalue_bound / (error->unit_roundoff * lambda_max)
                              : NAN;
    for (int64_t i = 0; i < count; ++i)
        error->eigenvalues_above += values[i] > error->eigenvalue_bound;
}
