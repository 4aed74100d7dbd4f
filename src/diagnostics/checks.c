/* What the diagnostics need of the data and the spectrum, once they are
 * known (see diagnostics.h): the rest is refused when the job is read. */
#include "diagnostics/diagnostics.h"

#include <stdlib.h>
#include <string.h>

void diagnostics_facts_free(ntk_diagnostics_facts *facts)
{
    free(facts->target_power);
    memset(facts, 0, sizeof *facts);
}

ntk_status diagnostics_check_sizes(const ntk_diagnostics_spec *spec, int64_t n_inputs)
{
    if (!spec->enabled)
        return NTK_OK;
    for (int i = 0; i < spec->n_curve_sizes; ++i) {
        if (spec->curve_sizes[i] <= n_inputs)
            continue;
        char where[NTK_PATH_MAX + 64];
        job_location_text(&spec->curve_size_where[i], where, sizeof where);
        return NTK_RAISE(NTK_ERR_JOB,
                         "%s: diagnostics.learning_curve[%d]: %lld is more than the N = %lld "
                         "inputs (training subsets are drawn from them)",
                         where, i, (long long)spec->curve_sizes[i], (long long)n_inputs);
    }
    return NTK_OK;
}

ntk_status diagnostics_check_trace_coverage(const ntk_diagnostics_spec *spec,
                                            const ntk_spectrum *spectrum)
{
    if (!spec->enabled || spec->n_curve_sizes == 0 ||
        spectrum->n_pairs >= spectrum->vectors.rows)
        return NTK_OK;
    double kept = 0.0;
    for (int64_t i = 0; i < spectrum->n_pairs; ++i)
        kept += spectrum->values[i];
    const double trace = spectrum->diagonal_sum;
    if (trace > 0.0 && kept >= (1.0 - spec->curve_trace_tolerance) * trace)
        return NTK_OK;
    char where[NTK_PATH_MAX + 64];
    job_location_text(&spec->curve_where, where, sizeof where);
    return NTK_RAISE(NTK_ERR_JOB,
                     "%s: diagnostics.learning_curve: the %lld kept eigenvalues hold %.6g of "
                     "the trace %.6g, less than 1 - learning_curve_trace_tolerance (%g); raise "
                     "spectrum.top or set it to 0 (all pairs)",
                     where, (long long)spectrum->n_pairs, trace > 0.0 ? kept / trace : 0.0, trace,
                     spec->curve_trace_tolerance);
}
