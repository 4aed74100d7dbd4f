/* Cross-key rules: checks that involve keys of more than one section, run
 * when the job is loaded (so `ntkgram validate` reports them, and a run
 * refuses the job before it writes anything):
 *   - training needs data.targets and a spectrum (spectrum.solver not none);
 *     training.kernel_every an empirical kernel; training.mode_every the
 *     eigenvectors (spectrum.vectors);
 *   - output.theta_layers needs diagnostics.per_layer;
 *   - spectrum.top <= M (checked at load for synthetic inputs, and by
 *     job_check_top_against_rows once a data file's shape is known).
 * Rules inside one section (output.eigenvectors needs spectrum.vectors,
 * analytic needs ntk) stay with that section's reader.
 *
 * Internal to src/job/ except job_check_top_against_rows.
 */
#ifndef NTK_JOB_JOB_RULES_H
#define NTK_JOB_JOB_RULES_H

#include "job/job.h"
#include "job/job_tree.h"

/* NTK_ERR_JOB naming the key (file:line:column) of the first broken rule. */
ntk_status job_check_rules(const job_context *context, const job_node *root, const ntk_job *job);

/* spectrum.top against M = `m_rows` (N, or N k for full kernels): NTK_ERR_JOB
 * when more eigenpairs are asked for than the matrix has. */
ntk_status job_check_top_against_rows(const ntk_job *job, int64_t m_rows);

#endif
