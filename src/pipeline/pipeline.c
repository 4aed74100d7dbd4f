/* One run of a job (see pipeline.h). Each stage does its rank-local work,
 * then all ranks agree on the status before the next collective stage, so a
 * failure anywhere ends the run on every rank with the same message. */
#include "pipeline/pipeline.h"

#include <stdlib.h>
#include <string.h>

#include "checkpoint/checkpoint.h"
#include "core/log.h"
#include "grid/grid.h"
#include "kernel/kernel.h"
#include "model/model.h"
#include "model/weights.h"
#include "output/output.h"
#include "pipeline/compare.h"
#include "pipeline/inputs.h"
#include "plan/plan.h"
#include "spectrum/matrix_free.h"
#include "spectrum/spectrum.h"
#include "train/train.h"

/* Everything a run owns, so one cleanup path frees it whatever failed. */
typedef struct {
    ntk_grid grid;
    int have_grid;
    ntk_input_block inputs;
    ntk_model model;
    int have_model;
    double *own_targets;
    double *residual;
    ntk_dmatrix theta;
    ntk_dmatrix theta_initial; /* a copy for training.kernel_after */
    ntk_spectrum spectrum;
    ntk_modes modes;
    ntk_checkpoint checkpoint;
    int features_stored;       /* matrix_free: the plan's choice of spectrum.features */
} run_state;

static void run_state_free(run_state *state)
{
    modes_free(&state->modes);
    spectrum_free(&state->spectrum);
    dmatrix_destroy(&state->theta_initial);
    dmatrix_destroy(&state->theta);
    free(state->residual);
    free(state->own_targets);
    if (state->have_model)
        model_destroy(&state->model);
    inputs_free_block(&state->inputs);
    if (state->have_grid)
        grid_destroy(&state->grid);
}

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

/* matrix_free multiplies through each layer's param_vjp / param_jvp: a layer
 * type without them is refused by name. Rank-local, the same on every rank. */
static ntk_status check_matrix_free_layers(const ntk_job *job, const ntk_model *model)
{
    const int missing = mf_missing_ops_layer(model->stack, model->n_stack);
    if (missing < 0)
        return NTK_OK;
    ntk_layer_spec list[NTK_MAX_LAYERS];
    int count = 0;
    char key[96];
    model_spec_layers(&job->model, list, &count);
    return NTK_RAISE(NTK_ERR_JOB,
                     "%s: %s (%s) has no matrix-free product (param_vjp/param_jvp), so "
                     "spectrum.solver matrix_free cannot run this model; use solver auto",
                     job->path, missing < count ? model_layer_key(list, missing, key, sizeof key)
                                                : "a layer",
                     model->stack[missing].ops->name);
}

/* Sizes, memory check, grid, inputs, model, residual. */
static ntk_status prepare(const ntk_job *job, MPI_Comm comm, run_state *state,
                          ntk_data_shape *shape, int64_t *m_rows)
{
    int rank = 0, ranks = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &ranks);

    ntk_phase_begin("check sizes");
    int rows = 0, cols = 0;
    ntk_status status = inputs_shape(job, shape);
    if (status == NTK_OK)
        status = check_grid_shape(job, ranks, &rows, &cols);
    NTK_TRY(ntk_agree(status, comm));
    *m_rows = kernel_rows(job, shape->n_inputs, shape->k);
    ntk_log("N = %lld inputs of dimension %lld, k = %d outputs, Theta is %lld x %lld (%s)",
            (long long)shape->n_inputs, (long long)shape->input_dim, shape->k,
            (long long)*m_rows, (long long)*m_rows,
            job_enum_name(&job_kernel_outputs_names, job->kernel.outputs));

    ntk_plan plan;
    double available = 0.0;
    status = plan_make(job, shape->n_inputs, shape->input_dim, ranks, &plan);
    NTK_TRY(ntk_agree(status, comm));
    NTK_TRY(plan_memory_per_rank(comm, &available));
    NTK_TRY(ntk_agree(plan_fit_features(job, available, &plan), comm));
    NTK_TRY(ntk_agree(plan_check_fits(&plan, available), comm));
    state->features_stored = plan.matrix_free_stored;

    NTK_TRY(grid_create(comm, grid_effective_block(job->grid.block, *m_rows), rows, cols,
                        &state->grid));
    state->have_grid = 1;
    ntk_log("grid %d x %d, block %d, %d ranks", state->grid.rows, state->grid.cols,
            state->grid.block, ranks);

    ntk_phase_begin("read inputs");
    status = inputs_read_own_block(job, shape, rank, ranks, &state->inputs);
    if (status == NTK_OK)
        status = inputs_read_own_targets(job, shape, &state->inputs, &state->own_targets);
    NTK_TRY(ntk_agree(status, comm));

    ntk_phase_begin("build model");
    status = model_create(&job->model, shape->input_dim, &state->model);
    if (status == NTK_OK)
        state->have_model = 1;
    NTK_TRY(ntk_agree(status, comm));
    ntk_log("model: %d dense layers, %lld parameters (%s parameterisation)",
            state->model.n_layers, (long long)state->model.n_params,
            job_enum_name(&job_parameterization_names, job->model.parameterization));

    if (job->spectrum.solver == NTK_SOLVER_MATRIX_FREE)
        NTK_TRY(check_matrix_free_layers(job, &state->model));
    if (shape->have_targets)
        NTK_TRY(inputs_gather_residual(&state->model, &state->inputs, state->own_targets,
                                       shape->n_inputs, comm, &state->residual));
    ntk_phase_end();
    return NTK_OK;
}

/* Theta (and the optional NNGP kernel), with checkpoints; theta.npy. */
static ntk_status assemble(const ntk_job *job, MPI_Comm comm, run_state *state, int64_t m_rows,
                           ntk_kernel_stats *stats, double *analytic_distance)
{
    const ntk_grid *grid = &state->grid;
    char path[NTK_PATH_MAX];

    NTK_TRY(ntk_agree(dmatrix_create(grid, m_rows, m_rows, &state->theta), comm));

    NTK_TRY(ntk_agree(checkpoint_init(job, grid, &state->checkpoint), comm));
    ntk_assembly_hooks hooks = {0, checkpoint_after_step, &state->checkpoint};
    NTK_TRY(checkpoint_resume(&state->checkpoint, &state->theta, &hooks));

    ntk_phase_begin("assemble theta");
    NTK_TRY(kernel_assemble(job, &state->model, grid, &state->inputs, 1, &hooks,
                            &state->theta, stats));
    if (!kernel_lower_only(job)) {
        ntk_phase_begin("symmetrize theta");
        NTK_TRY(dmatrix_symmetrize_from_lower(grid, &state->theta));
    }
    ntk_phase_end();
    ntk_log("assembly: %s, %.3g GFLOP in all", stats->method, stats->flops_total * 1e-9);

    if (job->output.theta) {
        ntk_phase_begin("write theta");
        NTK_TRY(output_path(job->output.dir, "theta.npy", path));
        NTK_TRY(output_write_dmatrix_npy(path, grid, &state->theta));
    }
    *analytic_distance = -1.0;
    if (job->kernel.compare_analytic && job->kernel.kind == NTK_KIND_EMPIRICAL) {
        ntk_phase_begin("compare with analytic");
        NTK_TRY(compare_with_analytic(job, &state->model, grid, &state->inputs, &state->theta,
                                      analytic_distance));
        ntk_log("||Theta - Theta_inf|| / ||Theta_inf|| = %.6g", *analytic_distance);
    }
    if (job->kernel.kind == NTK_KIND_ANALYTIC && job->kernel.nngp) {
        ntk_phase_begin("assemble nngp");
        ntk_dmatrix nngp;
        NTK_TRY(ntk_agree(dmatrix_create(grid, m_rows, m_rows, &nngp), comm));
        ntk_status status = kernel_assemble_nngp(job, &state->model, grid, &state->inputs, &nngp);
        if (status == NTK_OK)
            status = output_path(job->output.dir, "nngp.npy", path);
        if (status == NTK_OK)
            status = output_write_dmatrix_npy(path, grid, &nngp);
        dmatrix_destroy(&nngp);
        NTK_TRY(status);
    }
    if (job->training.enabled && job->training.kernel_after) {
        ntk_status status = dmatrix_create(grid, m_rows, m_rows, &state->theta_initial);
        if (status == NTK_OK)
            memcpy(state->theta_initial.data, state->theta.data,
                   sizeof(double) * (size_t)(state->theta.local_rows * state->theta.local_cols));
        NTK_TRY(ntk_agree(status, comm));
    }
    ntk_phase_end();
    return NTK_OK;
}

/* spectrum.solver matrix_free: the top pairs from products with the own
 * inputs' features; Theta is never assembled. */
static ntk_status solve_matrix_free(const ntk_job *job, MPI_Comm comm, run_state *state)
{
    mf_operator op;
    ntk_phase_begin(state->features_stored ? "features" : "features (recomputed per product)");
    NTK_TRY(ntk_agree(mf_operator_create(&state->model, &state->inputs, comm,
                                         job->kernel.outputs == NTK_OUTPUTS_FULL,
                                         state->features_stored, MF_BATCH_INPUTS,
                                         MF_CHECK_COLUMNS, &op),
                      comm));
    ntk_phase_begin("eigensolve (matrix-free)");
    ntk_status status = spectrum_solve_matrix_free(&job->spectrum, &state->grid, &op,
                                                   &state->spectrum);
    mf_operator_destroy(&op);
    NTK_TRY(status);
    ntk_log("matrix_free: %lld of %lld pairs converged, %lld products, %lld restarts, largest "
            "residual %.3g",
            (long long)state->spectrum.converged, (long long)job->spectrum.top,
            (long long)state->spectrum.products, (long long)state->spectrum.restarts,
            state->spectrum.max_relative_residual);
    return NTK_OK;
}

/* Eigendecomposition, modes and their files. */
static ntk_status solve_and_write(const ntk_job *job, MPI_Comm comm, run_state *state,
                                  const ntk_data_shape *shape, int64_t m_rows)
{
    char path[NTK_PATH_MAX];
    ntk_phase_begin("eigensolve");
    if (job->spectrum.solver == NTK_SOLVER_MATRIX_FREE) {
        NTK_TRY(solve_matrix_free(job, comm, state));
    } else {
        NTK_TRY(spectrum_solve(&job->spectrum, &state->grid, &state->theta, &state->spectrum));
        dmatrix_destroy(&state->theta); /* overwritten by the solver; free it early */
    }
    ntk_log("%s: %lld eigenvalues, lambda_max = %.6g", state->spectrum.solver,
            (long long)state->spectrum.m,
            state->spectrum.m > 0 ? state->spectrum.values[0] : 0.0);

    ntk_phase_begin("training modes");
    int channels = job->kernel.outputs == NTK_OUTPUTS_FULL ? 1 : shape->k;
    int64_t residual_rows = job->kernel.outputs == NTK_OUTPUTS_FULL ? m_rows : shape->n_inputs;
    NTK_TRY(modes_compute(&job->dynamics, &state->spectrum, &state->grid, shape->n_inputs,
                          shape->k, state->residual, residual_rows, channels, &state->modes));

    ntk_phase_begin("write spectrum");
    if (state->spectrum.have_vectors && job->output.eigenvectors) {
        NTK_TRY(output_path(job->output.dir, "eigenvectors.npy", path));
        NTK_TRY(output_write_dmatrix_npy(path, &state->grid, &state->spectrum.vectors));
    }
    ntk_status status = NTK_OK;
    if (state->grid.rank == 0) {
        status = output_write_eigenvalues(job->output.dir, &state->spectrum);
        if (status == NTK_OK)
            status = output_write_modes_csv(job->output.dir, &state->spectrum, &state->modes);
        if (status == NTK_OK && job->output.plot)
            status = output_write_svg(job->output.dir, job, &state->spectrum, &state->modes);
    }
    NTK_TRY(ntk_agree(status, comm));
    ntk_phase_end();
    return NTK_OK;
}

static ntk_status run(const ntk_job *job, MPI_Comm comm, run_state *state,
                      ntk_run_result *result)
{
    double start = MPI_Wtime();
    int ranks = 1, rank = 0;
    MPI_Comm_size(comm, &ranks);
    MPI_Comm_rank(comm, &rank);
    ntk_phases_reset();
    ntk_log("job %s (%s) on %d rank%s", job->name, job->path, ranks, ranks == 1 ? "" : "s");

    NTK_TRY(output_prepare_dir(job->output.dir, comm));
    ntk_data_shape shape;
    int64_t m_rows = 0;
    NTK_TRY(prepare(job, comm, state, &shape, &m_rows));

    ntk_kernel_stats stats;
    memset(&stats, 0, sizeof stats);
    double analytic_distance = -1.0;
    if (job->spectrum.solver == NTK_SOLVER_MATRIX_FREE)
        stats.method = "none (matrix_free)";
    else
        NTK_TRY(assemble(job, comm, state, m_rows, &stats, &analytic_distance));

    int solved = job->spectrum.solver != NTK_SOLVER_NONE;
    if (solved)
        NTK_TRY(solve_and_write(job, comm, state, &shape, m_rows));

    ntk_training_result training = {0.0, -1.0};
    if (job->training.enabled) {
        if (!solved)
            return NTK_RAISE(NTK_ERR_JOB, "%s: training needs the spectrum (spectrum.solver is none)",
                             job->path);
        if (!shape.have_targets)
            return NTK_RAISE(NTK_ERR_JOB, "%s: training needs data.targets", job->path);
        ntk_phase_begin("training");
        NTK_TRY(training_run(job, &state->model, &state->grid, &state->inputs, state->own_targets,
                             &state->spectrum, &state->modes,
                             job->training.kernel_after ? &state->theta_initial : NULL, &training));
        ntk_phase_end();
    }
    if (job->output.params) {
        char path[NTK_PATH_MAX];
        ntk_status status = output_path(job->output.dir, "params.safetensors", path);
        if (status == NTK_OK && rank == 0)
            status = model_save_weights(path, &state->model);
        NTK_TRY(ntk_agree(status, comm));
    }

    /* summary.yaml is written last: its presence marks a complete run. */
    ntk_run_facts facts;
    memset(&facts, 0, sizeof facts);
    facts.n_inputs = shape.n_inputs;
    facts.input_dim = shape.input_dim;
    facts.k = shape.k;
    facts.m_rows = m_rows;
    facts.n_params = state->model.n_params;
    facts.ranks = ranks;
    facts.grid = &state->grid;
    facts.kernel = &stats;
    facts.spectrum = solved ? &state->spectrum : NULL;
    facts.modes = solved ? &state->modes : NULL;
    facts.phases = ntk_phases();
    facts.training_final_loss = job->training.enabled ? training.final_loss : -1.0;
    facts.kernel_change = training.kernel_change;
    facts.analytic_distance = analytic_distance;
    facts.wall_seconds = MPI_Wtime() - start;
    NTK_TRY(ntk_agree(rank == 0 ? output_write_summary(job->output.dir, job, &facts) : NTK_OK,
                      comm));
    if (job->spectrum.solver != NTK_SOLVER_MATRIX_FREE) /* no assembly, no checkpoint */
        NTK_TRY(checkpoint_finish(&state->checkpoint));

    memset(result, 0, sizeof *result);
    result->n_inputs = shape.n_inputs;
    result->m_rows = m_rows;
    result->have_spectrum = solved;
    if (solved) {
        result->lambda_max = state->modes.lambda_max;
        result->lambda_min = state->modes.lambda_min;
        result->effective_rank = state->modes.effective_rank;
        result->largest_stable_learning_rate = state->modes.largest_stable_learning_rate;
    }
    result->analytic_distance = analytic_distance;
    result->wall_seconds = MPI_Wtime() - start;
    ntk_log("done in %.2f s; results in %s/ (summary.yaml, eigenvalues.npy, modes.csv%s)",
            result->wall_seconds, job->output.dir, job->output.plot ? ", spectrum.svg" : "");
    return NTK_OK;
}

ntk_status pipeline_run(const ntk_job *job, MPI_Comm comm, ntk_run_result *result)
{
    run_state state;
    memset(&state, 0, sizeof state);
    ntk_status status = run(job, comm, &state, result);
    run_state_free(&state);
    return status;
}
