/* Checks before computing, shared by run and validate (see preflight.h). */
#include "pipeline/preflight.h"

#include <stdlib.h>
#include <string.h>

#include "diagnostics/diagnostics.h"
#include "grid/grid.h"
#include "job/job_rules.h"
#include "kernel/kernel.h"
#include "pipeline/compare_weights.h"
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

/* A data error about a held-out source, prefixed with the key it came from
 * ("FILE:LINE:COL: data.test_inputs: ..."; a --set location names the key). */
static ntk_status name_test_source(const ntk_data_source *source, const char *key,
                                   ntk_status status)
{
    if (status == NTK_OK)
        return NTK_OK;
    char message[1024], where[NTK_PATH_MAX + 64];
    snprintf(message, sizeof message, "%s", ntk_error_message());
    ntk_error_clear();
    job_location_text(&source->where, where, sizeof where);
    if (strncmp(message, where, strlen(where)) == 0) /* named already (class labels) */
        return ntk_raise(status, __FILE__, __LINE__, "%s", message);
    if (source->where.line > 0)
        return ntk_raise(status, __FILE__, __LINE__, "%s: %s: %s", where, key, message);
    return ntk_raise(status, __FILE__, __LINE__, "%s: %s", where, message);
}

/* The held-out values as run will read them: NaN/Inf in data.test_inputs or
 * data.test_targets and class labels outside 0..k-1 are refused here, before
 * output.dir is touched (run would find them only after the assembly and the
 * eigensolve). Each rank reads its own block, as the prediction stage does.
 * Rank-local; the caller agrees. */
static ntk_status check_test_values(const ntk_job *job, const ntk_test_shape *test_shape,
                                    int64_t input_dim, int k, MPI_Comm comm)
{
    int rank = 0, ranks = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &ranks);
    ntk_input_block block;
    double *targets = NULL;
    const ntk_predict_config predict_config = job_predict_config(job);
    ntk_status status = name_test_source(
        &job->test_inputs, "data.test_inputs",
        predict_read_test_block(&predict_config, test_shape, input_dim, rank, ranks, &block));
    if (status == NTK_OK)
        status = name_test_source(
            &job->test_targets, "data.test_targets",
            predict_read_test_targets(&predict_config, test_shape, k, &block, &targets));
    free(targets);
    free(block.x);
    return status;
}

/* predict.operator for cg: matrix_free when asked or when spectrum.solver
 * matrix_free assembles no Theta; else stored. A
 * preconditioner rank above M is refused at its key. Rank-local, the same
 * on every rank. */
static ntk_status choose_cg_operator(const ntk_job *job, ntk_preflight *result)
{
    const ntk_predict_spec *predict = &job->predict;
    if (predict->preconditioner_rank_given && predict->preconditioner != NTK_PRECONDITIONER_NONE &&
        predict->preconditioner_rank > result->m_rows) {
        char where[NTK_PATH_MAX + 64];
        job_location_text(&predict->rank_where, where, sizeof where);
        return NTK_RAISE(NTK_ERR_JOB,
                         "%s: predict.preconditioner_rank: %lld is larger than M = %lld (the "
                         "rows of Theta): at most M columns of Theta can be pivots",
                         where, (long long)predict->preconditioner_rank,
                         (long long)result->m_rows);
    }
    /* auto: the stored Theta when the run assembles it and it fits (the
     * plan chose products, predict_matrix_free, when it does not); a run
     * that assembles none multiplies. */
    if (predict->operator_choice == NTK_OPERATOR_MATRIX_FREE ||
        job->spectrum.solver == NTK_SOLVER_MATRIX_FREE)
        result->predict_matrix_free = 1;
    if (result->predict_operator_why[0] != '\0') {
        const size_t used = strlen(result->linear_why);
        snprintf(result->linear_why + used, sizeof result->linear_why - used, "; %s",
                 result->predict_operator_why);
    }
    if (result->predict_matrix_free)
        result->keep_theta_for_predict = 0;
    return NTK_OK;
}

/* predict.solver for this run (predict/linear_solver.h), and whether Theta
 * must be copied before the eigensolve overwrites it. */
static ntk_status choose_linear_solver(const ntk_job *job, MPI_Comm comm, ntk_preflight *result)
{
    if (!job->predict.enabled || job->test_inputs.kind == NTK_SOURCE_NONE)
        return NTK_OK;
    const ntk_solver solver = job->spectrum.solver;
    const int eigensolve = solver != NTK_SOLVER_NONE && solver != NTK_SOLVER_MATRIX_FREE;
    const int full = job->kernel.outputs == NTK_OUTPUTS_FULL;
    const linear_request request = {
        .spec = &job->predict,
        .matrix_size = result->m_rows,
        .right_hand_sides = full ? 1 : result->shape.k,
        .grid_rows = result->grid_rows,
        .grid_cols = result->grid_cols,
        .block = result->block,
        .spectrum_has_vectors = eigensolve && job->spectrum.vectors && job->spectrum.top == 0,
        .theta_assembled = solver != NTK_SOLVER_MATRIX_FREE && !result->predict_matrix_free,
        .theta_kept = solver == NTK_SOLVER_NONE,
        .bytes_per_rank = result->bytes_per_rank,
        .bytes_besides = result->bytes_besides_solver,
    };
    NTK_TRY(ntk_agree(linear_solver_choose(&request, &result->linear, result->linear_why,
                                           sizeof result->linear_why),
                      comm));
    result->keep_theta_for_predict =
        eigensolve && (result->linear->capabilities & LINEAR_NEEDS_SPECTRUM) == 0 &&
        (result->linear->capabilities & LINEAR_ASSEMBLED) != 0;
    if (result->linear->id == NTK_LINEAR_CG)
        NTK_TRY(choose_cg_operator(job, result));
    return NTK_OK;
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
        if (status == NTK_OK)
            status = check_test_values(job, &test_shape, result->shape.input_dim,
                                       result->shape.k, comm);
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
    if (status == NTK_OK)
        status = diagnostics_check_sizes(&job->diagnostics, result->shape.n_inputs);
    if (status == NTK_OK)
        status = compare_weights_check(job, &result->shape);
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
    /* predict.operator auto: products when the stored Theta does not fit */
    if (status == NTK_OK)
        status = ntk_agree(plan_fit_predict_operator(&plan_config, available, &plan), comm);
    if (status == NTK_OK)
        status = ntk_agree(plan_check_fits(&plan, available), comm);
    double time_limit = 0.0;
    if (status == NTK_OK)
        status = ntk_agree(plan_time_limit(&time_limit), comm);
    if (status == NTK_OK)
        status = ntk_agree(plan_check_time(&plan, time_limit), comm);
    if (status == NTK_OK) {
        result->predict_matrix_free = plan.predict_matrix_free;
        snprintf(result->predict_operator_why, sizeof result->predict_operator_why, "%s",
                 plan.predict_operator_why);
        result->features_stored = plan.matrix_free_stored;
        result->bytes_per_rank = available;
        result->bytes_besides_solver = plan.bytes_besides_solver;
    }
    NTK_TRY(status);
    return choose_linear_solver(job, comm, result);
}
