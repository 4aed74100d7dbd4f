/* The cross kernel Theta(A, B) entry point (kernel.h): the shapes checked,
 * then the job's kernel kind and method, each reusing its Theta machinery
 * with the rows' inputs delivered from set A and the columns' from set B. */
#include "kernel/kernel.h"

#include "kernel/analytic.h"
#include "kernel/kernel_local.h"

ntk_status kernel_assemble_cross(const ntk_kernel_config *config, const ntk_model *model,
                                 const ntk_grid *grid, const ntk_input_block *rows,
                                 const ntk_input_block *cols, int want_nngp,
                                 const ntk_assembly_hooks *hooks, ntk_dmatrix *cross,
                                 ntk_kernel_stats *stats)
{
    ntk_kernel_stats unused;
    if (!stats)
        stats = &unused;
    kernel_stats_begin(stats, "", 0);
    /* The logits: the built model's last output (a conv net may end in a
     * pooling layer); the dense summary's without a model. */
    const int k = model != NULL && model->n_stack > 0
                      ? (int)model->stack[model->n_stack - 1].out.size
                      : (int)config->model->width[config->model->n_dense - 1];
    ntk_status status = NTK_OK;
    if (cross->rows != kernel_rows(config, rows->n, k) ||
        cross->cols != kernel_rows(config, cols->n, k))
        status = NTK_RAISE(NTK_ERR_INTERNAL, "cross kernel: matrix is %lld x %lld for %lld x %lld inputs",
                           (long long)cross->rows, (long long)cross->cols, (long long)rows->n,
                           (long long)cols->n);
    else if (rows->dim != cols->dim)
        status = NTK_RAISE(NTK_ERR_INTERNAL, "cross kernel: inputs of dimension %lld and %lld",
                           (long long)rows->dim, (long long)cols->dim);
    else if (config->kernel->precision == NTK_PRECISION_MIXED)
        status = NTK_RAISE(NTK_ERR_JOB, "kernel.precision: mixed is not supported by the cross "
                           "kernel (held-out inputs)");
    else if (config->kernel->precision == NTK_PRECISION_FLOAT32)
        /* float32 predictions: the cross kernel's products as Theta's
         * (float32 features and SGEMM, float64 sums), kept in float64 */
        status = kernel_check_precision(config);
    else if (want_nngp && config->kernel->kind != NTK_KIND_ANALYTIC)
        status = NTK_RAISE(NTK_ERR_INTERNAL, "cross kernel: the NNGP kernel is analytic only");
    NTK_TRY(ntk_agree(status, grid->comm));

    if (config->kernel->kind == NTK_KIND_ANALYTIC) {
        NTK_TRY(kernel_assemble_analytic_cross(config, model, grid, rows, cols, want_nngp, hooks, cross,
                                               stats));
        return NTK_OK;
    }
    switch (config->kernel->method) {
    case NTK_METHOD_AUTO:
    case NTK_METHOD_STRUCTURED:
        NTK_TRY(kernel_assemble_structured_cross(config, model, grid, rows, cols, hooks, cross,
                                                 stats));
        return NTK_OK;
    case NTK_METHOD_JACOBIAN:
        NTK_TRY(kernel_assemble_jacobian_cross(config, model, grid, rows, cols, hooks, cross,
                                               stats));
        return NTK_OK;
    }
    return NTK_RAISE(NTK_ERR_INTERNAL, "kernel: unknown method %d", (int)config->kernel->method);
}
