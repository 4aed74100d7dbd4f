/* Shapes, the own input block, and the residual (see inputs.h). */
#include "pipeline/inputs.h"

#include <stdlib.h>
#include <string.h>

#include "data/data.h"
#include "grid/grid.h"
#include "predict/predict.h"

static const char *source_name(const ntk_data_source *source)
{
    return source->kind == NTK_SOURCE_SYNTHETIC ? "synthetic data" : source->path;
}

ntk_status inputs_shape(const ntk_job *job, ntk_data_shape *shape)
{
    memset(shape, 0, sizeof *shape);
    NTK_TRY(data_shape_as(&job->inputs, DATA_ROLE_INPUTS, &shape->n_inputs, &shape->input_dim));
    if (shape->n_inputs < 1 || shape->input_dim < 1)
        return NTK_RAISE(NTK_ERR_DATA, "%s: inputs must have at least one row and one column",
                         source_name(&job->inputs));
    /* The model's input shape is the data's; the layers check it (a
     * mismatch names the layer) and give k, the last layer's outputs. */
    NTK_TRY(data_input_shape(&job->inputs, &shape->input.rank, shape->input.dim));
    shape->input.size = shape->input_dim;
    model_layout layout;
    NTK_TRY(model_layout_make(&job->model, job->path, &shape->input, 0, &layout));
    shape->k = (int)layout.k;
    if (!data_targets_need_shape_check(&job->targets, &shape->have_targets))
        return NTK_OK;
    int64_t rows = 0, cols = 0;
    NTK_TRY(data_shape_as(&job->targets, DATA_ROLE_TARGETS, &rows, &cols));
    if (rows != shape->n_inputs)
        return NTK_RAISE(NTK_ERR_DATA, "%s: targets have %lld rows but the inputs have %lld",
                         job->targets.path, (long long)rows, (long long)shape->n_inputs);
    if (cols != shape->k)
        return NTK_RAISE(NTK_ERR_DATA,
                         "%s: targets have %lld columns but the model has %d outputs (its last "
                         "layer, %s%s)",
                         job->targets.path, (long long)cols, shape->k,
                         layout.stack[layout.n_stack - 1].ops->name,
                         layout.stack[layout.n_stack - 1].out.rank == 3   ? ", in H, W, C order"
                         : layout.stack[layout.n_stack - 1].out.rank == 2 ? ", in L, C order"
                                                                          : "");
    return NTK_OK;
}

ntk_status inputs_read_own_block(const ntk_job *job, const ntk_data_shape *shape, int rank,
                                 int ranks, ntk_input_block *block)
{
    memset(block, 0, sizeof *block);
    block->n = shape->n_inputs;
    block->dim = shape->input_dim;
    grid_own_block(shape->n_inputs, ranks, rank, &block->first, &block->count);
    NTK_TRY(NTK_CALLOC(block->x, block->count * block->dim, "the own block of inputs"));
    if (block->count > 0)
        NTK_TRY(data_read_range(&job->inputs, block->first, block->count, block->dim, NULL, 0,
                                block->x));
    return NTK_OK;
}

void inputs_free_block(ntk_input_block *block)
{
    free(block->x);
    block->x = NULL;
}

ntk_status inputs_read_own_targets(const ntk_job *job, const ntk_data_shape *shape,
                                   const ntk_input_block *block, double **targets)
{
    *targets = NULL;
    if (!shape->have_targets)
        return NTK_OK;
    NTK_TRY(NTK_CALLOC(*targets, block->count * shape->k, "the own block of targets"));
    if (block->count > 0)
        NTK_TRY(data_read_range(&job->targets, block->first, block->count, shape->k, block->x,
                                block->dim, *targets));
    return NTK_OK;
}

ntk_status inputs_gather_targets(const ntk_input_block *block, const double *own_targets,
                                 int64_t n_inputs, int k, MPI_Comm comm, double **targets)
{
    *targets = NULL;
    NTK_TRY(ntk_agree(NTK_CALLOC(*targets, n_inputs * k, "the targets"), comm));
    ntk_status status = predict_gather_rows(own_targets, block->count, n_inputs, k, comm, *targets);
    if (status != NTK_OK) {
        free(*targets);
        *targets = NULL;
    }
    return status;
}

ntk_status inputs_gather_residual(const ntk_model *model, const ntk_input_block *block,
                                  const double *own_targets, int64_t n_inputs, MPI_Comm comm,
                                  double **residual)
{
    const int k = model_outputs(model);

    /* Everything that can fail locally (allocations, the forward pass) comes
     * before the agreement; after it every rank reaches the gather. */
    double *own = NULL;
    *residual = NULL;
    ntk_status status = NTK_CALLOC(own, block->count * k, "the residual of the own block");
    if (status == NTK_OK)
        status = NTK_CALLOC(*residual, n_inputs * k, "the residual");
    if (status == NTK_OK && block->count > 0)
        status = model_forward(model, block->x, block->count, own);
    if (status == NTK_OK)
        for (int64_t i = 0; i < block->count * k; ++i)
            own[i] -= own_targets[i];
    status = ntk_agree(status, comm);
    /* The own blocks are grid_own_block's, as the held-out rows' are: one
     * gather serves both. */
    if (status == NTK_OK)
        status = predict_gather_rows(own, block->count, n_inputs, k, comm, *residual);
    free(own);
    if (status != NTK_OK) {
        free(*residual);
        *residual = NULL;
    }
    return status;
}
