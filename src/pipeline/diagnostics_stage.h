/* The diagnostics of a run (src/diagnostics/, docs/diagnostics.md) in two
 * steps: what needs Theta whole (the alignment, the measured learning
 * curve) runs after the assembly and before the eigensolve overwrites it;
 * what needs the spectrum (statistics, target power, the learning curve's
 * theory) after the training modes. Both collective. */
#ifndef NTK_PIPELINE_DIAGNOSTICS_STAGE_H
#define NTK_PIPELINE_DIAGNOSTICS_STAGE_H

#include "diagnostics/diagnostics.h"
#include "job/job.h"

/* `targets`: y of all N inputs (N x k) on every rank, or NULL when neither
 * the alignment nor the curve asked for it. */
ntk_status diagnostics_stage_theta(const ntk_job *job, const ntk_grid *grid,
                                   const ntk_dmatrix *theta, const double *targets, int k,
                                   ntk_diagnostics_facts *facts);

ntk_status diagnostics_stage_spectrum(const ntk_job *job, const ntk_grid *grid,
                                      const ntk_spectrum *spectrum, const double *targets,
                                      int64_t n_inputs, int k, ntk_diagnostics_facts *facts);

#endif
