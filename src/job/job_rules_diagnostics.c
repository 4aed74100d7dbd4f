/* The diagnostics: section's rules between keys (its keys are rows of
 * diagnostics/diagnostics_keys.c, read by job_table.c): the alignment and
 * the learning curve need data.targets; the learning curve also needs every
 * eigenpair with its vector (or a top-k that holds the trace, checked after
 * the solve), a trace kernel and an assembled Theta. n > N is refused by
 * preflight once N is known (diagnostics_check_sizes). */
#include "job/job_rules.h"

#include <string.h>

#include "job/job_read.h"
#include "job/job_sections.h"

/* What the learning curve needs of the rest of the job. */
static ntk_status check_curve(const job_context *context, const job_node *node,
                              const ntk_job *job)
{
    const char *path = "diagnostics.learning_curve";
    if (job->targets.kind == NTK_SOURCE_NONE)
        return job_fail(context, node, path,
                        "needs data.targets (the function the kernel regression learns)");
    const char *why = NULL;
    if (job->spectrum.solver == NTK_SOLVER_NONE)
        why = "spectrum.solver is none";
    else if (job->spectrum.solver == NTK_SOLVER_MATRIX_FREE)
        why = "spectrum.solver matrix_free never forms Theta, which the measured curve needs";
    else if (!job->spectrum.vectors)
        why = "spectrum.vectors is false";
    if (why != NULL)
        return job_fail(context, node, path,
                        "needs the eigenpairs with their eigenvectors (all of them, or a "
                        "spectrum.top that holds the trace), but %s",
                        why);
    if (job->kernel.outputs != NTK_OUTPUTS_TRACE)
        return job_fail(context, node, path,
                        "needs kernel.outputs trace (training subsets are sets of inputs, "
                        "each with all its outputs)");
    return NTK_OK;
}

/* Where the keys stand, for the refusals preflight and the run make later. */
static ntk_status locations(const job_context *context, const job_node *node,
                            ntk_diagnostics_spec *spec)
{
    const job_node *item = NULL;
    if ((item = job_node_find(node, "alignment", NULL)) != NULL)
        NTK_TRY(job_node_location(context, item, &spec->alignment_where));
    if ((item = job_node_find(node, "learning_curve", NULL)) != NULL) {
        NTK_TRY(job_node_location(context, item, &spec->curve_where));
        for (int i = 0; i < item->count && i < spec->n_curve_sizes; ++i)
            NTK_TRY(job_node_location(context, item->items[i], &spec->curve_size_where[i]));
    }
    if ((item = job_node_find(node, "per_layer", NULL)) != NULL)
        NTK_TRY(job_node_location(context, item, &spec->per_layer_where));
    if ((item = job_node_find(node, "compare_weights", NULL)) != NULL)
        NTK_TRY(job_node_location(context, item, &spec->compare_weights_where));
    return NTK_OK;
}

ntk_status job_rules_diagnostics(const job_context *context, const job_node *root,
                                 const job_node *node, ntk_job *job)
{
    ntk_diagnostics_spec *spec = &job->diagnostics;
    job_node *key = NULL;
    job_node_find(root, "diagnostics", &key);
    if (key == NULL || !spec->enabled)
        return NTK_OK;
    NTK_TRY(job_node_location(context, key, &spec->where));
    if (node != NULL && node->kind == JOB_NODE_MAPPING)
        NTK_TRY(locations(context, node, spec));
    else
        node = NULL;
    const job_node *alignment = job_node_find(node, "alignment", NULL);
    if (spec->alignment && job->targets.kind == NTK_SOURCE_NONE)
        return job_fail(context, alignment, "diagnostics.alignment",
                        "needs data.targets (Theta is aligned with Y Y^T)");
    if (spec->alignment && job->spectrum.solver == NTK_SOLVER_MATRIX_FREE)
        return job_fail(context, alignment, "diagnostics.alignment",
                        "needs the assembled Theta, which spectrum.solver matrix_free never "
                        "forms");
    if (spec->n_curve_sizes > 0)
        NTK_TRY(check_curve(context, job_node_find(node, "learning_curve", NULL), job));
    if (spec->per_layer && job->spectrum.solver == NTK_SOLVER_MATRIX_FREE)
        return job_fail(context, job_node_find(node, "per_layer", NULL), "diagnostics.per_layer",
                        "needs assembled kernels (one Theta_l at a time), which "
                        "spectrum.solver matrix_free never forms");
    const job_node *weights = job_node_find(node, "compare_weights", NULL);
    const size_t length = strlen(spec->compare_weights);
    if (length > 0 && (length < 12 || strcmp(spec->compare_weights + length - 12,
                                             ".safetensors") != 0))
        return job_fail(context, weights, "diagnostics.compare_weights",
                        "expected a .safetensors file, got '%s'", spec->compare_weights);
    if (length > 0 && job->kernel.kind != NTK_KIND_EMPIRICAL)
        return job_fail(context, weights, "diagnostics.compare_weights",
                        "needs kernel.kind empirical (the analytic kernel does not depend on "
                        "the weights)");
    if (length > 0 && job->spectrum.solver == NTK_SOLVER_MATRIX_FREE)
        return job_fail(context, weights, "diagnostics.compare_weights",
                        "needs the assembled Theta, which spectrum.solver matrix_free never "
                        "forms");
    return NTK_OK;
}
