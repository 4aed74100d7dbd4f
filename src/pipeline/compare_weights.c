/* The kernel with another weights file of the same model (see compare_weights.h). */
#include "pipeline/compare_weights.h"

#include <stdio.h>
#include <string.h>

#include "core/signals.h"
#include "kernel/assembly_stop.h"
#include "model/weights.h"

/* The job's model description with FILE as its weights. */
static void compare_spec(const ntk_job *job, ntk_model_spec *spec)
{
    *spec = job->model;
    snprintf(spec->weights_path, sizeof spec->weights_path, "%s",
             job->diagnostics.compare_weights);
}

/* "FILE:LINE:COL: diagnostics.compare_weights: <message>" from the pending error. */
static ntk_status name_key(const ntk_job *job, ntk_status status)
{
    char message[1024], where[NTK_PATH_MAX + 64];
    snprintf(message, sizeof message, "%s", ntk_error_message());
    ntk_error_clear();
    job_location_text(&job->diagnostics.compare_weights_where, where, sizeof where);
    const char *key = job->diagnostics.compare_weights_where.line > 0
                          ? " diagnostics.compare_weights:"
                          : "";
    return ntk_raise(status == NTK_ERR_DATA ? NTK_ERR_JOB : status, __FILE__, __LINE__,
                     "%s:%s %s is not a weights file of the job's model: %s", where, key,
                     job->diagnostics.compare_weights, message);
}

ntk_status compare_weights_check(const ntk_job *job, const ntk_data_shape *shape)
{
    if (job->diagnostics.compare_weights[0] == '\0')
        return NTK_OK;
    model_layout layout;
    NTK_TRY(model_layout_make(&job->model, job->path, &shape->input, 0, &layout));
    int64_t own = 0, other = 0;
    NTK_TRY(model_param_count(&job->model, &layout, &own));
    ntk_model_spec spec;
    compare_spec(job, &spec);
    ntk_status status = model_param_count(&spec, &layout, &other);
    if (status != NTK_OK)
        return name_key(job, status);
    if (own != other) {
        /* The tensors fit, so the layers with a bias differ. */
        status = NTK_RAISE(NTK_ERR_JOB, "it has %lld parameters and the job's model %lld (the "
                           "layers with a bias differ)", (long long)other, (long long)own);
        return name_key(job, status);
    }
    return NTK_OK;
}

ntk_status compare_with_weights(const ntk_job *job, const ntk_data_shape *shape,
                                const ntk_grid *grid, const ntk_input_block *inputs,
                                const ntk_dmatrix *theta, ntk_kernel_distance *distance)
{
    ntk_model_spec spec;
    compare_spec(job, &spec);
    ntk_model other;
    ntk_status status = model_create_shaped(&spec, &shape->input, &other);
    if (status != NTK_OK)
        status = name_key(job, status);
    NTK_TRY(ntk_agree(status, grid->comm));
    ntk_dmatrix theta_other;
    memset(&theta_other, 0, sizeof theta_other);
    status = ntk_agree(dmatrix_create(grid, theta->rows, theta->cols, &theta_other), grid->comm);
    /* No checkpoint for this assembly, but a stop signal ends it at a step. */
    ntk_stop_hook stop = {grid->comm, "the diagnostics.compare_weights assembly"};
    ntk_assembly_hooks hooks = {0, checkpoint_stop_after_step, &stop, NULL, NULL};
    ntk_kernel_stats stats;
    memset(&stats, 0, sizeof stats);
    const ntk_kernel_config config = job_kernel_config(job);
    if (status == NTK_OK)
        status = kernel_assemble(&config, &other, grid, inputs, 1, &hooks, &theta_other, &stats);
    if (status == NTK_OK)
        status = diagnostics_kernel_distance(grid, theta, &theta_other, distance);
    dmatrix_destroy(&theta_other);
    model_destroy(&other);
    return status;
}
