/* The job file's schema: each top-level section read from the node tree into
 * ntk_job, with defaults for what is absent and the checks that involve more
 * than one key (layer order, analytic needs ntk).
 *
 * Internal to src/job/.
 */
#ifndef NTK_JOB_JOB_SECTIONS_H
#define NTK_JOB_JOB_SECTIONS_H

#include "job/job.h"
#include "job/job_tree.h"
#include "model/layer.h"

/* Fill every field of `job` except path, name, overrides and the sweep from
 * the tree `root` (a mapping), defaults included, then check the cross-key
 * rules (job_rules.h). `job->path` must be set: relative data and weights
 * paths are resolved against its folder. */
ntk_status job_read_sections(const job_context *context, const job_node *root, ntk_job *job);

/* data: and model: */
ntk_status job_read_data(const job_context *context, const job_node *data, ntk_job *job);
ntk_status job_read_model(const job_context *context, const job_node *model, ntk_job *job);

/* model.layers (job_layers.c): the list through the layer registry, the
 * order rules, and every size on inputs of shape `input_shape` (NULL: read
 * from a file later; checked then). */
ntk_status job_read_layers(const job_context *context, const job_node *layers,
                           const ntk_shape *input_shape,
                           ntk_model_spec *model);

/* kernel, grid, spectrum, dynamics, output, training, checkpoint. */
ntk_status job_read_run_sections(const job_context *context, const job_node *root, ntk_job *job);

/* A list of training step counts (dynamics.steps, predict.steps): non-empty,
 * at most NTK_MAX_STEPS integers >= 0, into steps[0..*n_steps). */
ntk_status job_read_steps(const job_context *context, const job_node *node, const char *path,
                          int64_t steps[NTK_MAX_STEPS], int *n_steps);

/* predict: and the rules of held-out data (job_sections_predict.c); after
 * the data, spectrum, dynamics and output sections. */
ntk_status job_read_predict(const job_context *context, const job_node *root, ntk_job *job);

/* diagnostics: and its cross-key rules (job_sections_diagnostics.c); after
 * the data, kernel, spectrum and predict sections. */
ntk_status job_read_diagnostics(const job_context *context, const job_node *root, ntk_job *job);

/* The sweep's keys and the YAML text of each value (not yet checked against
 * the job: job_check_sweep does that). */
ntk_status job_read_sweep(const job_context *context, const job_node *sweep, ntk_job *job);

/* The location of `node` for other modules' messages: the job file and
 * position, or "--set KEY" (line 0) for override values. The text is interned
 * (job_location.c); NTK_ERR_MEMORY only when that fails. */
ntk_status job_node_location(const job_context *context, const job_node *node,
                             ntk_location *where);

/* A process-lifetime copy of `text` (the same pointer for equal texts). */
ntk_status job_intern_text(const char *text, const char **shared);

#endif
