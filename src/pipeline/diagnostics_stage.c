/* The diagnostics' two steps in a run (see diagnostics_stage.h). */
#include "pipeline/diagnostics_stage.h"

#include <stdlib.h>

#include "core/log.h"

ntk_status diagnostics_stage_theta(const ntk_job *job, const ntk_grid *grid,
                                   const ntk_dmatrix *theta, const double *targets, int k,
                                   ntk_diagnostics_facts *facts)
{
    const ntk_diagnostics_spec *spec = &job->diagnostics;
    facts->enabled = spec->enabled;
    if (!spec->enabled)
        return NTK_OK;
    /* a full kernel's rows are (x, o), x*k + o: the N x k targets read as one column */
    const int channels = job->kernel.outputs == NTK_OUTPUTS_FULL ? 1 : k;
    if (spec->alignment) {
        ntk_phase_begin("diagnostics: alignment");
        NTK_TRY(diagnostics_alignment(grid, theta, targets, channels, &facts->alignment));
        facts->have_alignment = 1;
        ntk_log("alignment %.6g, centred %.6g", facts->alignment.alignment,
                facts->alignment.centered_alignment);
    }
    if (spec->n_curve_sizes > 0) {
        ntk_phase_begin("diagnostics: measured learning curve");
        NTK_TRY(diagnostics_learning_curve_measured(spec, grid, theta, targets, k,
                                                    spec->curve_ridge, &facts->curve));
    }
    return NTK_OK;
}

ntk_status diagnostics_stage_spectrum(const ntk_job *job, const ntk_grid *grid,
                                      const ntk_spectrum *spectrum, const double *targets,
                                      int64_t n_inputs, int k, ntk_diagnostics_facts *facts)
{
    const ntk_diagnostics_spec *spec = &job->diagnostics;
    facts->enabled = spec->enabled;
    if (!spec->enabled)
        return NTK_OK;
    ntk_phase_begin("diagnostics: spectrum");
    if (spec->statistics) {
        diagnostics_spectral_statistics(spectrum->values, spectrum->n_pairs,
                                        spectrum->diagonal_sum, &facts->statistics);
        facts->have_statistics = 1;
    }
    const int channels = job->kernel.outputs == NTK_OUTPUTS_FULL ? 1 : k;
    if (spec->alignment && spectrum->have_vectors) {
        const int64_t pairs = spectrum->n_pairs;
        NTK_TRY(ntk_agree(NTK_CALLOC(facts->target_power, pairs > 0 ? pairs : 1,
                                     "the target power of the modes"),
                          grid->comm));
        NTK_TRY(diagnostics_target_power(grid, spectrum, targets, channels, facts->target_power));
    }
    if (spec->n_curve_sizes > 0) {
        NTK_TRY(diagnostics_check_trace_coverage(spec, spectrum));
        NTK_TRY(diagnostics_learning_curve_theory(spec, grid, spectrum, targets, k, n_inputs,
                                                  spec->curve_ridge, &facts->curve));
        facts->have_curve = 1;
    }
    return NTK_OK;
}
