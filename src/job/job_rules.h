/* The rules a key table cannot say: checks that tie keys together (x needs
 * y), defaults that depend on other keys, and where keys stood (for later
 * messages). Each section's rules run right after the section is read
 * (job_table.c, in the order of job_bindings); job_check_rules runs once the
 * whole job is read (so `ntkgram validate` reports them all, and a run
 * refuses the job before it writes anything):
 *   - training needs data.targets and a spectrum (spectrum.solver not none);
 *     training.kernel_every an empirical kernel; training.mode_every the
 *     eigenvectors (spectrum.vectors);
 *   - output.theta_layers needs diagnostics.per_layer;
 *   - kernel.precision other than float64 only where it is computed so
 *     (job_check_precision);
 *   - spectrum.top <= M (checked at load for synthetic inputs, and by
 *     job_check_top_against_rows once a data file's shape is known).
 *
 * Internal to src/job/ except job_check_top_against_rows.
 */
#ifndef NTK_JOB_JOB_RULES_H
#define NTK_JOB_JOB_RULES_H

#include "job/job.h"
#include "job/job_tree.h"

/* One per section (job_section_rules, job_table.h): `node` is the
 * section's value, NULL when absent. */
ntk_status job_rules_data(const job_context *context, const job_node *root, const job_node *node,
                          ntk_job *job);
ntk_status job_rules_model(const job_context *context, const job_node *root,
                           const job_node *node, ntk_job *job);
ntk_status job_rules_kernel(const job_context *context, const job_node *root,
                            const job_node *node, ntk_job *job);
ntk_status job_rules_grid(const job_context *context, const job_node *root, const job_node *node,
                          ntk_job *job);
ntk_status job_rules_spectrum(const job_context *context, const job_node *root,
                              const job_node *node, ntk_job *job);
ntk_status job_rules_output(const job_context *context, const job_node *root,
                            const job_node *node, ntk_job *job);
ntk_status job_rules_predict(const job_context *context, const job_node *root,
                             const job_node *node, ntk_job *job);
ntk_status job_rules_training(const job_context *context, const job_node *root,
                              const job_node *node, ntk_job *job);
ntk_status job_rules_diagnostics(const job_context *context, const job_node *root,
                                 const job_node *node, ntk_job *job);
ntk_status job_rules_checkpoint(const job_context *context, const job_node *root,
                                const job_node *node, ntk_job *job);

/* kernel.precision other than float64 on a path that has no such precision:
 * NTK_ERR_JOB naming kernel.precision (job_rules_precision.c). */
ntk_status job_check_precision(const job_context *context, const job_node *root,
                               const ntk_job *job);

/* NTK_ERR_JOB naming the key (file:line:column) of the first broken rule. */
ntk_status job_check_rules(const job_context *context, const job_node *root, const ntk_job *job);

/* spectrum.top against M = `m_rows` (N, or N k for full kernels): NTK_ERR_JOB
 * when more eigenpairs are asked for than the matrix has. */
ntk_status job_check_top_against_rows(const ntk_job *job, int64_t m_rows);

#endif
