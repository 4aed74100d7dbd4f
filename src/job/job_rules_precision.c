/* kernel.precision against the rest of the job (docs/precision.md): every
 * path that does not compute in the precision asked for refuses it here,
 * before anything runs, naming kernel.precision's place in the job. None
 * falls back to float64 where less was asked for.
 *
 * What runs in mixed precision: the empirical kernel by the structured
 * method (kernel/structured_mixed.c), dense layers, trace outputs; every
 * solver that reads the assembled Theta (it is float64). float32 (Theta
 * stored in float32) has no assembly, solver or writer yet. */
#include <string.h>

#include "job/job_rules.h"
#include "job/job_sections.h"
#include "model/layer.h"

/* The one-line message: "<file>:<line>:<col>: kernel.precision: mixed is not
 * supported with <what> (<why>); use ..." */
static ntk_status refuse(const job_context *context, const job_node *where, const char *name,
                         const char *what)
{
    return job_fail(context, where, "kernel.precision", "%s is not supported with %s", name, what);
}

ntk_status job_check_precision(const job_context *context, const job_node *root,
                               const ntk_job *job)
{
    const ntk_kernel_precision precision = job->kernel.precision;
    if (precision == NTK_PRECISION_FLOAT64)
        return NTK_OK;
    const job_node *kernel = job_node_find(root, "kernel", NULL);
    const job_node *where = job_node_find(kernel, "precision", NULL);
    if (where == NULL)
        where = kernel != NULL ? kernel : root;
    const char *name = ntk_choice_name(&kernel_precision_names, (int)precision);
    if (precision == NTK_PRECISION_FLOAT32)
        return job_fail(context, where, "kernel.precision",
                        "float32 (Theta stored and solved in float32) is not available in this "
                        "version; use mixed (float32 features and products, float64 sums and "
                        "Theta) or float64");
    if (job->kernel.kind != NTK_KIND_EMPIRICAL)
        return refuse(context, where, name,
                      "kernel.kind analytic (the infinite-width kernel is computed in float64 "
                      "only; use kernel.precision: float64)");
    if (job->kernel.method == NTK_METHOD_JACOBIAN)
        return refuse(context, where, name,
                      "kernel.method jacobian (only the structured method has mixed products)");
    if (job->kernel.outputs != NTK_OUTPUTS_TRACE)
        return refuse(context, where, name, "kernel.outputs full (only trace kernels)");
    for (int i = 0; i < job->model.n_layers; ++i) {
        const ntk_layer_ops *ops = job->model.layers[i].ops;
        if (ntk_layer_has_parameters(ops) && strcmp(ops->name, "dense") != 0)
            return job_fail(context, where, "kernel.precision",
                            "%s is not supported with model.layers[%d], a %s layer (only dense "
                            "layers have mixed products)", name, i, ops->name);
    }
    if (job->spectrum.solver == NTK_SOLVER_MATRIX_FREE)
        return refuse(context, where, name,
                      "spectrum.solver matrix_free (its Jacobian products are float64)");
    if (job->training.enabled)
        return refuse(context, where, name, "training (its gradients and kernels are float64)");
    if (job->predict.enabled || job->output.test_theta || job->test_inputs.kind != NTK_SOURCE_NONE)
        return refuse(context, where, name,
                      "held-out inputs (predict, data.test_inputs, output.test_theta: the cross "
                      "kernel is float64)");
    if (job->sweep.n_keys > 0)
        return refuse(context, where, name, "a sweep");
    return NTK_OK;
}
