/* The diagnostics: section (see job_sections.h) and its cross-key rules:
 * the alignment and the learning curve need data.targets; the learning
 * curve also needs every eigenpair with its vector (or a top-k that holds
 * the trace, checked after the solve), a trace kernel and an assembled
 * Theta. n > N is refused by preflight once N is known
 * (diagnostics_check_sizes). */
#include "job/job_sections.h"

#include <string.h>

#include "job/job_keys.h"
#include "job/job_read.h"

static ntk_status read_sizes(const job_context *context, const job_node *node,
                             ntk_diagnostics_spec *spec)
{
    const char *path = "diagnostics.learning_curve";
    NTK_TRY(job_check_list(context, node, path, " of training set sizes such as [50, 100, 200]"));
    if (node->count > DIAGNOSTICS_MAX_CURVE_SIZES)
        return job_fail(context, node, path, "has %d entries, at most %d", node->count,
                        DIAGNOSTICS_MAX_CURVE_SIZES);
    for (int i = 0; i < node->count; ++i) {
        char item_path[JOB_PATH_TEXT_MAX];
        job_path_index(item_path, sizeof item_path, path, i);
        NTK_TRY(job_read_int(context, node->items[i], item_path, NULL, "an integer >= 1", 1,
                             INT32_MAX, &spec->curve_sizes[i]));
        NTK_TRY(job_node_location(context, node->items[i], &spec->curve_size_where[i]));
    }
    spec->n_curve_sizes = node->count;
    return NTK_OK;
}

/* diagnostics.compare_weights: a .safetensors file, relative to the job
 * file's folder as model.weights is. */
static ntk_status read_weights_path(const job_context *context, const job_node *node,
                                    ntk_diagnostics_spec *spec)
{
    const char *path = "diagnostics.compare_weights";
    char text[NTK_PATH_MAX];
    NTK_TRY(job_read_string(context, node, path, text, sizeof text));
    const size_t length = strlen(text);
    if (length < 12 || strcmp(text + length - 12, ".safetensors") != 0)
        return job_fail(context, node, path, "expected a .safetensors file, got '%s'", text);
    const char *slash = strrchr(context->file, '/');
    const int written =
        text[0] == '/' || slash == NULL
            ? snprintf(spec->compare_weights, sizeof spec->compare_weights, "%s", text)
            : snprintf(spec->compare_weights, sizeof spec->compare_weights, "%.*s/%s",
                       (int)(slash - context->file), context->file, text);
    if (written < 0 || written >= (int)sizeof spec->compare_weights)
        return job_fail(context, node, path, "the path is too long (at most %d characters)",
                        NTK_PATH_MAX - 1);
    return NTK_OK;
}

static ntk_status read_keys(const job_context *context, const job_node *section,
                            ntk_diagnostics_spec *spec)
{
    const char *keys[JOB_SECTION_KEYS_MAX];
    job_key_names(&diagnostics_section, keys, JOB_SECTION_KEYS_MAX);
    NTK_TRY(job_check_mapping(context, section, "diagnostics", keys));
    const job_node *item = NULL;
    if ((item = job_node_find(section, "statistics", NULL)) != NULL)
        NTK_TRY(job_read_bool(context, item, "diagnostics.statistics", &spec->statistics));
    if ((item = job_node_find(section, "alignment", NULL)) != NULL) {
        NTK_TRY(job_read_bool(context, item, "diagnostics.alignment", &spec->alignment));
        NTK_TRY(job_node_location(context, item, &spec->alignment_where));
    }
    if ((item = job_node_find(section, "learning_curve", NULL)) != NULL) {
        NTK_TRY(read_sizes(context, item, spec));
        NTK_TRY(job_node_location(context, item, &spec->curve_where));
    }
    int64_t value = 0;
    if ((item = job_node_find(section, "learning_curve_repeats", NULL)) != NULL) {
        NTK_TRY(job_read_int(context, item, "diagnostics.learning_curve_repeats", NULL,
                             "an integer from 1 to 1000", 1, 1000, &value));
        spec->curve_repeats = (int)value;
    }
    if ((item = job_node_find(section, "learning_curve_seed", NULL)) != NULL)
        NTK_TRY(job_read_int(context, item, "diagnostics.learning_curve_seed", NULL,
                             "an integer >= 0", 0, INT64_MAX, &spec->curve_seed));
    if ((item = job_node_find(section, "per_layer", NULL)) != NULL) {
        NTK_TRY(job_read_bool(context, item, "diagnostics.per_layer", &spec->per_layer));
        NTK_TRY(job_node_location(context, item, &spec->per_layer_where));
    }
    if ((item = job_node_find(section, "compare_weights", NULL)) != NULL) {
        NTK_TRY(read_weights_path(context, item, spec));
        NTK_TRY(job_node_location(context, item, &spec->compare_weights_where));
    }
    if ((item = job_node_find(section, "learning_curve_ridge", NULL)) != NULL)
        NTK_TRY(job_read_number(context, item, "diagnostics.learning_curve_ridge", 0,
                                &spec->curve_ridge));
    if ((item = job_node_find(section, "learning_curve_trace_tolerance", NULL)) != NULL) {
        NTK_TRY(job_read_number(context, item, "diagnostics.learning_curve_trace_tolerance", 1,
                                &spec->curve_trace_tolerance));
        if (spec->curve_trace_tolerance >= 1.0)
            return job_fail(context, item, "diagnostics.learning_curve_trace_tolerance",
                            "must be below 1 (a fraction of the trace), got %g",
                            spec->curve_trace_tolerance);
    }
    return NTK_OK;
}

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

ntk_status job_read_diagnostics(const job_context *context, const job_node *root, ntk_job *job)
{
    ntk_diagnostics_spec *spec = &job->diagnostics;
    memset(spec, 0, sizeof *spec);
    spec->statistics = 1;
    spec->curve_repeats = 5;
    spec->curve_trace_tolerance = 1e-3;
    spec->curve_ridge = job->predict.ridge;

    job_node *key = NULL;
    const job_node *node = job_node_find(root, "diagnostics", &key);
    if (key == NULL)
        return NTK_OK;
    int enabled = 1;
    if (node != NULL && node->kind == JOB_NODE_SCALAR && node->plain &&
        job_text_to_bool(node->text, &enabled)) {
        /* `diagnostics: true` takes every default; `false` switches it off. */
        spec->enabled = enabled;
    } else {
        NTK_TRY(read_keys(context, node, spec));
        spec->enabled = 1;
    }
    NTK_TRY(job_node_location(context, key, &spec->where));
    if (!spec->enabled)
        return NTK_OK;
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
    if (spec->compare_weights[0] != '\0' && job->kernel.kind != NTK_KIND_EMPIRICAL)
        return job_fail(context, weights, "diagnostics.compare_weights",
                        "needs kernel.kind empirical (the analytic kernel does not depend on "
                        "the weights)");
    if (spec->compare_weights[0] != '\0' && job->spectrum.solver == NTK_SOLVER_MATRIX_FREE)
        return job_fail(context, weights, "diagnostics.compare_weights",
                        "needs the assembled Theta, which spectrum.solver matrix_free never "
                        "forms");
    return NTK_OK;
}
