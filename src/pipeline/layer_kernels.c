/* The per-layer kernels of a run (see layer_kernels.h). */
#include "pipeline/layer_kernels.h"

#include <math.h>
#include <string.h>

#include "core/log.h"
#include "core/signals.h"
#include "diagnostics/diagnostics.h"
#include "kernel/assembly_stop.h"
#include "output/file_names.h"
#include "output/output.h"

/* Theta_l's row of the table; `theta_l` is assembled. Collective. */
static ntk_status layer_numbers(const ntk_grid *grid, const ntk_dmatrix *theta_l,
                                const double *targets, int channels, ntk_layer_row *row)
{
    double trace = 0.0, frobenius_squared = 0.0, residual = 0.0;
    NTK_TRY(diagnostics_trace_and_norm(grid, theta_l, &trace, &frobenius_squared));
    row->trace = trace;
    row->frobenius = sqrt(frobenius_squared);
    row->effective_rank = frobenius_squared > 0.0 ? trace * trace / frobenius_squared : NAN;
    NTK_TRY(diagnostics_lambda_max(grid, theta_l, DIAGNOSTICS_LAMBDA_TOLERANCE,
                                   DIAGNOSTICS_LAMBDA_MAX_STEPS, &row->lambda_max,
                                   &row->lanczos_steps, &residual));
    if (residual > DIAGNOSTICS_LAMBDA_TOLERANCE * fabs(row->lambda_max) &&
        row->lanczos_steps < theta_l->rows)
        ntk_warn("layer %d: lambda_max %.17g after %d Lanczos steps is within %.3g, not %.3g "
                 "(relative)", row->layer, row->lambda_max, row->lanczos_steps,
                 residual / fabs(row->lambda_max), DIAGNOSTICS_LAMBDA_TOLERANCE);
    if (targets != NULL) {
        ntk_alignment alignment;
        NTK_TRY(diagnostics_alignment(grid, theta_l, targets, channels, &alignment));
        row->alignment = alignment.alignment;
        row->centered_alignment = alignment.centered_alignment;
    }
    return NTK_OK;
}

ntk_status layer_kernels_stage(const ntk_job *job, const ntk_grid *grid, const ntk_model *model,
                               const ntk_input_block *inputs, const double *targets,
                               int64_t m_rows, ntk_layer_table *table)
{
    memset(table, 0, sizeof *table);
    const int full = job->kernel.outputs == NTK_OUTPUTS_FULL;
    const int channels = full ? 1 : model_outputs(model);
    const int write = job->output.theta_layers;
    ntk_kernel_config config = job_kernel_config(job);
    config.write_theta = write;
    table->count = model->n_layers;
    for (int l = 1; l <= model->n_layers; ++l) {
        ntk_layer_row *row = &table->row[l - 1];
        diagnostics_layer_row_begin(model, l, row);
        char where[64];
        snprintf(where, sizeof where, "before the kernel of layer %d", l);
        NTK_TRY(checkpoint_stop_point(grid->comm, where, NULL));
        ntk_dmatrix theta_l;
        memset(&theta_l, 0, sizeof theta_l);
        NTK_TRY(ntk_agree(dmatrix_create(grid, m_rows, m_rows, &theta_l), grid->comm));
        /* No checkpoint for these assemblies, but a stop signal ends one at a step. */
        ntk_stop_hook stop = {grid->comm, "a per-layer kernel assembly"};
        ntk_assembly_hooks hooks = {0, checkpoint_stop_after_step, &stop, NULL, NULL};
        ntk_kernel_stats stats;
        memset(&stats, 0, sizeof stats);
        config.only_layer = l;
        ntk_status status =
            kernel_assemble(&config, model, grid, inputs, 1, &hooks, &theta_l, &stats);
        if (status == NTK_OK)
            status = layer_numbers(grid, &theta_l, targets, channels, row);
        if (status == NTK_OK && write) {
            char name[64], path[NTK_PATH_MAX];
            output_theta_layer_name(l, name, sizeof name);
            status = dmatrix_symmetrize_from_lower(grid, &theta_l);
            if (status == NTK_OK)
                status = output_path(job->output.dir, name, path);
            if (status == NTK_OK)
                status = output_write_dmatrix_npy(path, grid, &theta_l);
        }
        dmatrix_destroy(&theta_l);
        NTK_TRY(status);
        ntk_log("layer %d (%s): trace %.6g, lambda_max %.6g (%d Lanczos steps)", l, row->type,
                row->trace, row->lambda_max, row->lanczos_steps);
    }
    diagnostics_layer_shares(table);
    ntk_status status = NTK_OK;
    if (grid->rank == 0)
        status = output_write_layers(job->output.dir, job->name, table, job->output.plot);
    NTK_TRY(ntk_agree(status, grid->comm));
    return NTK_OK;
}
