/* Checks before computing, shared by run and validate (see preflight.h). */
#include "pipeline/preflight.h"

#include <stdlib.h>
#include <string.h>

#include "grid/grid.h"
#include "job/job_rules.h"
#include "kernel/kernel.h"
#include "plan/plan.h"
#include "predict/predict.h"

/* The grid the job asks for, checked against the number of ranks. */
static ntk_status check_grid_shape(const ntk_job *job, int ranks, int *rows, int *cols)
{
    *rows = job->grid.rows;
    *cols = job->grid.cols;
    if (*rows == 0 && *cols == 0) {
        grid_auto_shape(ranks, rows, cols);
        return NTK_OK;
    }
    if ((int64_t)*rows * *cols != ranks) {
        char where[NTK_PATH_MAX + 64];
        job_location_text(&job->grid.shape_where, where, sizeof where);
        /* A --set location already names the key. */
        const char *key = job->grid.shape_where.line > 0 ? " grid.shape:" : "";
        return NTK_RAISE(NTK_ERR_MPI, "%s:%s [%d, %d] needs %lld ranks, but the job runs on %d",
                         where, key, *rows, *cols, (long long)*rows * *cols, ranks);
    }
    return NTK_OK;
}

/* spectrum.grid as a shape must use every rank, as grid.shape does (job
 * load checks it against grid.shape when that is given). */
static ntk_status check_solve_grid(const ntk_job *job, int ranks)
{
    const int rows = job->spectrum.solve_rows, cols = job->spectrum.solve_cols;
    if (rows <= 0 || (int64_t)rows * cols == ranks)
        return NTK_OK;
    char where[NTK_PATH_MAX + 64];
    job_location_text(&job->spectrum.layout_where, where, sizeof where);
    const char *key = job->spectrum.layout_where.line > 0 ? " spectrum.grid:" : "";
    return NTK_RAISE(NTK_ERR_JOB, "%s:%s [%d, %d] needs %lld ranks, but the job runs on %d", where,
                     key, rows, cols, (long long)rows * cols, ranks);
}

ntk_status preflight_check(const ntk_job *job, MPI_Comm comm, ntk_preflight *result)
{
    memset(result, 0, sizeof *result);
    int ranks = 1;
    NTK_MPI(MPI_Comm_size(comm, &ranks));

    ntk_status status = inputs_shape(job, &result->shape);
    /* Held-out data are checked before anything is sized or written. */
    if (status == NTK_OK && job->test_inputs.kind != NTK_SOURCE_NONE) {
        ntk_test_shape test_shape;
        const ntk_predict_config predict_config = job_predict_config(job);
        status = predict_test_shape(&predict_config, result->shape.input_dim, result->shape.k,
                                    &test_shape);
    }
    if (status == NTK_OK)
        status = check_grid_shape(job, ranks, &result->grid_rows, &result->grid_cols);
    if (status == NTK_OK)
        status = check_solve_grid(job, ranks);
    if (status == NTK_OK) {
        const ntk_kernel_config kernel_config = job_kernel_config(job);
        result->m_rows = kernel_rows(&kernel_config, result->shape.n_inputs, result->shape.k);
        status = job_check_top_against_rows(job, result->m_rows);
    }
    NTK_TRY(ntk_agree(status, comm));

    result->block = grid_effective_block(job->grid.block, result->m_rows);

    /* The plan of the run as it will be (plan_make clamps the block the same way). */
    ntk_plan plan;
    double available = 0.0;
    status = ntk_agree(plan_memory_per_rank(comm, &available), comm);
    NTK_TRY(status);
    /* auto picks no solver whose planned peak exceeds the memory per rank */
    const ntk_plan_config plan_config = job_plan_config(job);
    status = plan_make_within(&plan_config, result->shape.n_inputs, &result->shape.input, ranks,
                              available, &plan);
    status = ntk_agree(status, comm);
    if (status == NTK_OK)
        status = ntk_agree(plan_fit_features(&plan_config, available, &plan), comm);
    if (status == NTK_OK)
        status = ntk_agree(plan_check_fits(&plan, available), comm);
    if (status == NTK_OK) {
        result->features_stored = plan.matrix_free_stored;
        result->bytes_per_rank = available;
        result->bytes_besides_solver = plan.bytes_besides_solver;
    }
    NTK_TRY(status);
    return NTK_OK;
}
