/* Theta assembly entry points: the matrix size for a job, and the dispatch
 * from kernel.kind / kernel.method to the analytic, structured or jacobian
 * implementation (analytic*.c, structured.c, jacobian.c). */
#include "kernel/kernel.h"

#include "kernel/analytic.h"
#include "kernel/kernel_local.h"

int64_t kernel_rows(const ntk_kernel_config *config, int64_t n_inputs, int k)
{
    return config->kernel->outputs == NTK_OUTPUTS_FULL ? n_inputs * k : n_inputs;
}

int kernel_needs_upper_triangle(const ntk_kernel_config *config)
{
    return config->write_theta;
}

ntk_status kernel_assemble(const ntk_kernel_config *config, const ntk_model *model,
                           const ntk_grid *grid, const ntk_input_block *inputs, int lower_only,
                           const ntk_assembly_hooks *hooks, ntk_dmatrix *theta,
                           ntk_kernel_stats *stats)
{
    ntk_kernel_stats unused;
    if (!stats)
        stats = &unused;
    kernel_stats_begin(stats, "", 0);
    NTK_TRY(kernel_check_precision(config));
    if (config->kernel->kind == NTK_KIND_ANALYTIC) {
        NTK_TRY(kernel_assemble_analytic(config, model, grid, inputs, lower_only, 0, hooks, theta,
                                         stats));
        return NTK_OK;
    }
    if (hooks && hooks->skip_step)
        return NTK_RAISE(NTK_ERR_INTERNAL, "kernel: the empirical kernels take no set of steps "
                         "to skip (their steps add to Theta)");
    switch (config->kernel->method) {
    case NTK_METHOD_AUTO:
    case NTK_METHOD_STRUCTURED:
        /* Every layer type with parameters has a structured term (dense:
         * Hadamard form; conv: its Jacobian block), hundreds of times cheaper
         * than J J^T over all parameters. */
        NTK_TRY(kernel_assemble_structured(config, model, grid, inputs, lower_only, hooks, theta,
                                           stats));
        return NTK_OK;
    case NTK_METHOD_JACOBIAN:
        NTK_TRY(
            kernel_assemble_jacobian(config, model, grid, inputs, lower_only, hooks, theta, stats));
        return NTK_OK;
    }
    return NTK_RAISE(NTK_ERR_INTERNAL, "kernel: unknown method %d", (int)config->kernel->method);
}

ntk_status kernel_check_precision(const ntk_kernel_config *config)
{
    /* The job's rules refuse these with the key's place (job/job_rules_precision.c);
     * this keeps a job built in code from getting float64 where it asked for less. */
    const ntk_kernel_precision precision = config->kernel->precision;
    if (precision == NTK_PRECISION_FLOAT64)
        return NTK_OK;
    const char *name = ntk_choice_name(&kernel_precision_names, (int)precision);
    if (config->kernel->kind != NTK_KIND_EMPIRICAL ||
        config->kernel->method == NTK_METHOD_JACOBIAN ||
        config->kernel->outputs != NTK_OUTPUTS_TRACE)
        return NTK_RAISE(NTK_ERR_JOB,
                         "kernel.precision: %s is not supported with this kernel (the "
                         "empirical trace kernel by the structured method only)", name);
    return NTK_OK;
}

ntk_status kernel_assemble_nngp(const ntk_kernel_config *config, const ntk_model *model,
                                const ntk_grid *grid, const ntk_input_block *inputs,
                                ntk_dmatrix *nngp)
{
    /* The whole matrix: it is written out, not only handed to the solver. */
    ntk_kernel_stats stats;
    NTK_TRY(kernel_assemble_analytic(config, model, grid, inputs, 0, 1, NULL, nngp, &stats));
    return NTK_OK;
}

ntk_status kernel_assemble_nngp_steps(const ntk_kernel_config *config, const ntk_model *model,
                                      const ntk_grid *grid, const ntk_input_block *inputs,
                                      const unsigned char *skip_step, ntk_dmatrix *nngp)
{
    ntk_kernel_stats stats;
    const ntk_assembly_hooks hooks = {0, NULL, NULL, NULL, skip_step};
    NTK_TRY(kernel_assemble_analytic(config, model, grid, inputs, 1, 1, &hooks, nngp, &stats));
    return NTK_OK;
}
