/* The job file's schema: the sections read from the node tree into ntk_job
 * by the key tables (job_table.h), the readers of the key types that are
 * more than one value (sources, layers), and locations for messages.
 *
 * Internal to src/job/.
 */
#ifndef NTK_JOB_JOB_SECTIONS_H
#define NTK_JOB_JOB_SECTIONS_H

#include <stddef.h>

#include "job/job.h"
#include "job/job_tree.h"
#include "model/layer.h"

/* Fill every field of `job` except path, overrides from the tree `root` (a
 * mapping), defaults included: the sections (job_table_read), the sweep,
 * then the cross-key rules (job_rules.h). `job->path` must be set: relative
 * data and weights paths are resolved against its folder. */
ntk_status job_read_sections(const job_context *context, const job_node *root, ntk_job *job);

/* A SOURCE or TARGETS key (data.inputs, data.targets, ...; `path` names it):
 * a .npy/.csv path resolved beside `job_path`, or a synthetic mapping. A
 * null value is no source for targets and for inputs that are not
 * `required`. */
ntk_status job_read_source(const job_context *context, const job_node *node, const char *path,
                           int targets, int required, const char *job_path,
                           ntk_data_source *source);

/* model.layers, sizes checked on `inputs` when the job says their dimension. */
ntk_status job_read_model_layers(const job_context *context, const job_node *layers,
                                 const ntk_data_source *inputs, ntk_model_spec *model);

/* model.layers (job_layers.c): the list through the layer registry, the
 * order rules, and every size on inputs of shape `input_shape` (NULL: read
 * from a file later; checked then). */
ntk_status job_read_layers(const job_context *context, const job_node *layers,
                           const ntk_shape *input_shape,
                           ntk_model_spec *model);

/* `text` resolved against the job file's folder into out[size] (an
 * absolute `text` stays as it is). */
ntk_status job_resolve_path(const job_context *context, const job_node *node,
                            const char *path_key, const char *job_path, const char *text,
                            char *out, size_t size);

/* 1 when `path` ends in `extension` (any case). */
int job_has_extension(const char *path, const char *extension);

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
