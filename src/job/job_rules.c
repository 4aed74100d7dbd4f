/* Rules that tie keys of different sections together (see job_rules.h). */
#include "job/job_rules.h"

/* The node of `section.key` in the tree, or the section, or NULL: where a
 * message points. */
static const job_node *find_key(const job_node *root, const char *section, const char *key)
{
    const job_node *node = job_node_find(root, section, NULL);
    if (node == NULL || node->kind != JOB_NODE_MAPPING || key == NULL)
        return node;
    const job_node *value = job_node_find(node, key, NULL);
    return value != NULL ? value : node;
}

ntk_status job_check_rules(const job_context *context, const job_node *root, const ntk_job *job)
{
    if (job->training.enabled) {
        if (job->targets.kind == NTK_SOURCE_NONE)
            return job_fail(context, find_key(root, "training", NULL), "training",
                            "needs data.targets (gradient descent fits the network to them), "
                            "but the job has none");
        if (job->spectrum.solver == NTK_SOLVER_NONE)
            return job_fail(context, find_key(root, "spectrum", "solver"), "spectrum.solver",
                            "is none, but training needs the spectrum (its predicted loss); "
                            "use auto, or remove training");
        if (job->training.kernel_every > 0 && job->kernel.kind != NTK_KIND_EMPIRICAL)
            return job_fail(context, find_key(root, "training", "kernel_every"),
                            "training.kernel_every",
                            "needs kernel.kind empirical: the analytic kernel does not depend "
                            "on the parameters, so it cannot drift");
        if (job->training.mode_every > 0 && !job->spectrum.vectors)
            return job_fail(context, find_key(root, "training", "mode_every"),
                            "training.mode_every",
                            "needs the eigenvectors of Theta_0 (spectrum.vectors: true)");
    }
    if (job->output.theta_layers && !(job->diagnostics.enabled && job->diagnostics.per_layer))
        return job_fail(context, find_key(root, "output", "theta_layers"), "output.theta_layers",
                        "needs diagnostics.per_layer: true (the per-layer kernels it writes)");
    /* With synthetic inputs M is known now; with data files, when their shape
     * is read (job_check_top_against_rows, before any output). */
    if (job->inputs.kind == NTK_SOURCE_SYNTHETIC && job->model.n_dense > 0) {
        const int64_t k = job->model.width[job->model.n_dense - 1];
        const int64_t m_rows =
            job->kernel.outputs == NTK_OUTPUTS_FULL && job->inputs.n <= INT64_MAX / k
                ? job->inputs.n * k
                : job->inputs.n;
        if (job->spectrum.solver != NTK_SOLVER_NONE && job->spectrum.top > m_rows)
            return job_fail(context, find_key(root, "spectrum", "top"), "spectrum.top",
                            "%lld is more than the matrix size M = %lld",
                            (long long)job->spectrum.top, (long long)m_rows);
    }
    return NTK_OK;
}

ntk_status job_check_top_against_rows(const ntk_job *job, int64_t m_rows)
{
    if (job->spectrum.solver == NTK_SOLVER_NONE || job->spectrum.top <= m_rows)
        return NTK_OK;
    return NTK_RAISE(NTK_ERR_JOB, "%s: spectrum.top: %lld is more than the matrix size M = %lld",
                     job->path, (long long)job->spectrum.top, (long long)m_rows);
}
