/* One run of a job (see pipeline.h). Each stage does its rank-local work,
 * then all ranks agree on the status before the next collective stage, so a
 * failure anywhere ends the run on every rank with the same message. */
#include "pipeline/pipeline.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint/checkpoint.h"
#include "core/log.h"
#include "diagnostics/diagnostics.h"
#include "grid/grid.h"
#include "kernel/kernel.h"
#include "model/model.h"
#include "model/weights.h"
#include "output/file_names.h"
#include "output/output.h"
#include "pipeline/compare.h"
#include "pipeline/compare_weights.h"
#include "pipeline/diagnostics_stage.h"
#include "pipeline/inputs.h"
#include "pipeline/layer_kernels.h"
#include "pipeline/preflight.h"
#include "pipeline/run_files.h"
#include "plan/plan.h"
#include "predict/predict.h"
#include "spectrum/parpack/matrix_free.h"
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
    double *targets;           /* y of all N inputs (N x k), for the diagnostics */
    ntk_diagnostics_facts diagnostics;
    ntk_dmatrix theta;
    ntk_dmatrix theta_initial; /* a copy for training.kernel_after */
    ntk_dmatrix theta_predict; /* a copy for predict.solver cholesky through the eigensolve */
    ntk_dmatrix nngp;          /* the NNGP kernel, kept for predict.ensemble */
    ntk_spectrum spectrum;
    ntk_modes modes;
    ntk_checkpoint checkpoint;
    ntk_checkpoint nngp_checkpoint; /* the analytic NNGP kernel's pieces of a job array */
    ntk_run_files files; /* written so far, for the final log line */
    predict_tracker *tracker; /* held-out loss during training (src/predict) */
    int features_stored;       /* matrix_free: the plan's choice of spectrum.features */
    ntk_solve_budget solve_budget; /* spectrum.solver auto: preflight's memory per rank */
    ntk_precision_error precision; /* kernel.precision not float64: its error statement */
    int have_precision;
    ntk_smatrix theta_single; /* kernel.precision float32: Theta (theta stays empty) */
} run_state;

static void run_state_free(run_state *state)
{
    predict_tracker_free(state->tracker);
    modes_free(&state->modes);
    spectrum_free(&state->spectrum);
    dmatrix_destroy(&state->theta_initial);
    dmatrix_destroy(&state->theta_predict);
    dmatrix_destroy(&state->nngp);
    dmatrix_destroy(&state->theta);
    smatrix_destroy(&state->theta_single);
    diagnostics_facts_free(&state->diagnostics);
    free(state->targets);
    free(state->residual);
    free(state->own_targets);
    checkpoint_free(&state->checkpoint);
    checkpoint_free(&state->nngp_checkpoint);
    if (state->have_model)
        model_destroy(&state->model);
    inputs_free_block(&state->inputs);
    if (state->have_grid)
        grid_destroy(&state->grid);
}

/* A safe point for stop signals outside the assembly (core/signals.h).
 * An assembly checkpoint written (or resumed from) earlier in this run stays
 * until the run finishes, so the rerun resumes from it: say so. The counts
 * are the same on every rank (the checkpoint module is collective). */
static ntk_status stop_point(MPI_Comm comm, const run_state *state, const char *where)
{
    const int have_checkpoint = state->checkpoint.written > 0 || state->checkpoint.first_step > 0;
    return checkpoint_stop_point(
        comm, where,
        have_checkpoint ? "the assembly checkpoint is kept: rerun the same command to resume from it"
                        : NULL);
}

/* A safe point after the assembly: while Theta is whole (the eigensolve
 * overwrites it, then it is freed), a stop saves it, so the rerun skips the
 * assembly. Theta's size is the same on every rank. */
static ntk_status stop_point_with_theta(MPI_Comm comm, run_state *state, const char *where)
{
    if (state->theta.rows < 1)
        return stop_point(comm, state, where);
    return checkpoint_stop_with_theta(&state->checkpoint, &state->theta, where);
}

/* Grid, inputs, model, residual; the sizes were checked by preflight_check. */
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

/* "3 layers with parameters (2 conv, 1 dense)" or "3 dense layers": the
 * layer types in the order they first appear. */
static const char *describe_layers(const ntk_model *model, char *text, size_t size)
{
    const char *names[NTK_MAX_LAYERS];
    int counts[NTK_MAX_LAYERS], kinds = 0;
    for (int i = 0; i < model->n_stack; ++i) {
        if (model->stack[i].param < 1)
            continue;
        const char *name = model->stack[i].ops->name;
        int kind = 0;
        while (kind < kinds && strcmp(names[kind], name) != 0)
            ++kind;
        if (kind == kinds) {
            names[kinds] = name;
            counts[kinds++] = 0;
        }
        ++counts[kind];
    }
    if (kinds == 1) {
        snprintf(text, size, "%d %s layer%s", counts[0], names[0], counts[0] == 1 ? "" : "s");
        return text;
    }
    size_t used = (size_t)snprintf(text, size, "%d layers with parameters (", model->n_layers);
    for (int kind = 0; kind < kinds && used < size; ++kind)
        used += (size_t)snprintf(text + used, size - used, "%s%d %s", kind > 0 ? ", " : "",
                                 counts[kind], names[kind]);
    if (used < size)
        snprintf(text + used, size - used, ")");
    return text;
}

static ntk_status prepare(const ntk_job *job, MPI_Comm comm, run_state *state,
                          const ntk_preflight *checked)
{
    int rank = 0, ranks = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &ranks);
    const ntk_data_shape *shape = &checked->shape;
    const int rows = checked->grid_rows, cols = checked->grid_cols;
    ntk_status status = NTK_OK;

    if (checked->block != job->grid.block)
        ntk_log("grid.block %d is larger than M = %lld: using blocks of %d", job->grid.block,
                (long long)checked->m_rows, checked->block);
    NTK_TRY(grid_create(comm, checked->block, rows, cols, &state->grid));
    state->features_stored = checked->features_stored;
    state->solve_budget.bytes_per_rank = checked->bytes_per_rank;
    state->solve_budget.bytes_besides_solver = checked->bytes_besides_solver;
    state->have_grid = 1;
    ntk_log("grid %d x %d, block %d, %d ranks", state->grid.rows, state->grid.cols,
            state->grid.block, ranks);

    NTK_TRY(stop_point(comm, state, "before reading the inputs"));
    ntk_phase_begin("read inputs");
    status = inputs_read_own_block(job, shape, rank, ranks, &state->inputs);
    if (status == NTK_OK)
        status = inputs_read_own_targets(job, shape, &state->inputs, &state->own_targets);
    NTK_TRY(ntk_agree(status, comm));

    ntk_phase_begin("build model");
    status = model_create_shaped(&job->model, &shape->input, &state->model);
    if (status == NTK_OK)
        state->have_model = 1;
    NTK_TRY(ntk_agree(status, comm));
    char layers[256];
    ntk_log("model: %s, %lld parameters (%s parameterisation)",
            describe_layers(&state->model, layers, sizeof layers),
            (long long)state->model.n_params,
            ntk_choice_name(&model_parameterization_names, job->model.parameterization));

    if (job->spectrum.solver == NTK_SOLVER_MATRIX_FREE || checked->predict_matrix_free)
        NTK_TRY(check_matrix_free_layers(job, &state->model));
    if (shape->have_targets)
        NTK_TRY(inputs_gather_residual(&state->model, &state->inputs, state->own_targets,
                                       shape->n_inputs, comm, &state->residual));
    const ntk_diagnostics_spec *diagnostics = &job->diagnostics;
    /* the per-layer alignments and kernel_drift.csv's alignment column too */
    const int layer_alignment = diagnostics->enabled && diagnostics->per_layer;
    const int drift_alignment = job->training.enabled && job->training.kernel_every > 0;
    if (shape->have_targets &&
        ((diagnostics->enabled && (diagnostics->alignment || diagnostics->n_curve_sizes > 0)) ||
         layer_alignment || drift_alignment))
        NTK_TRY(inputs_gather_targets(&state->inputs, state->own_targets, shape->n_inputs,
                                      shape->k, comm, &state->targets));
    ntk_phase_end();
    return stop_point(comm, state, "before the assembly");
}

/* kernel.precision other than float64: Theta's relative error bound and
 * ||Theta||_F (read before the eigensolve overwrites Theta), logged and kept
 * for the eigenvalues' bound and summary.yaml (docs/precision.md). */
static ntk_status precision_statement_theta(const ntk_job *job, run_state *state,
                                            const ntk_kernel_config *kernel_config,
                                            const ntk_kernel_stats *stats)
{
    NTK_TRY(ntk_agree(kernel_precision_error_begin(kernel_config, &state->model,
                                                   stats->chunk_passes, &state->precision),
                      state->grid.comm));
    double trace = 0.0, frobenius_squared = 0.0;
    if (job->kernel.precision == NTK_PRECISION_FLOAT32) {
        NTK_TRY(smatrix_lower_moments(&state->grid, &state->theta_single, &trace,
                                      &frobenius_squared));
        /* float32 entries overflow to infinity above 3.4e38 */
        if (!isfinite(frobenius_squared))
            return NTK_RAISE(NTK_ERR_NUMERIC, "%s: kernel.precision: float32: Theta does not fit "
                             "float32 (an entry or its norm overflows); use kernel.precision: "
                             "mixed or float64", job->path);
    } else {
        NTK_TRY(diagnostics_trace_and_norm(&state->grid, &state->theta, &trace,
                                           &frobenius_squared));
    }
    state->precision.theta_frobenius = sqrt(frobenius_squared);
    state->have_precision = 1;
    const ntk_precision_error *error = &state->precision;
    ntk_log("precision %s: Theta's relative error <= %.3g (P = %lld float32 terms per Gram entry "
            "x u = 2^-24; typically sqrt(P) u = %.3g), ||Theta||_F = %.6g",
            ntk_choice_name(&kernel_precision_names, (int)job->kernel.precision),
            error->theta_relative_bound, (long long)error->accumulation_length,
            error->theta_relative_typical, error->theta_frobenius);
    return NTK_OK;
}

/* kernel.precision float32: Theta in float32 (no checkpoints, no NNGP, no
 * analytic comparison or training copy: the job's rules refused them);
 * theta.npy as '<f4'. */
static ntk_status assemble_float32(const ntk_job *job, MPI_Comm comm, run_state *state,
                                   int64_t m_rows, ntk_kernel_stats *stats)
{
    const ntk_grid *grid = &state->grid;
    NTK_TRY(ntk_agree(smatrix_create(grid, m_rows, m_rows, &state->theta_single), comm));
    ntk_phase_begin("assemble theta");
    const ntk_kernel_config kernel_config = job_kernel_config(job);
    NTK_TRY(kernel_assemble_float32(&kernel_config, &state->model, grid, &state->inputs, 1,
                                    &state->theta_single, stats));
    ntk_phase_end();
    ntk_log("assembly: %s (float32), %.3g GFLOP in all", stats->method,
            stats->flops_total * 1e-9);
    NTK_TRY(precision_statement_theta(job, state, &kernel_config, stats));
    if (job->output.theta) {
        char path[NTK_PATH_MAX];
        NTK_TRY(stop_point(comm, state, "after the assembly, before writing " OUTPUT_FILE_THETA));
        ntk_phase_begin("symmetrize theta");
        NTK_TRY(smatrix_symmetrize_from_lower(grid, &state->theta_single));
        ntk_phase_begin("write theta");
        NTK_TRY(output_path(job->output.dir, OUTPUT_FILE_THETA, path));
        NTK_TRY(output_write_smatrix_npy(path, grid, &state->theta_single));
        run_files_add(&state->files, OUTPUT_FILE_THETA);
        ntk_phase_end();
    }
    return NTK_OK;
}

/* The analytic NNGP kernel (kernel.nngp) comes from the same pair
 * evaluations as Theta in the steps a run computes (hooks->nngp). A piece
 * of a job array that computes all its steps in this run keeps it in its
 * own file (a resumed piece lacks the earlier steps' values: the combining
 * run computes them); a combining run reads the NNGP pieces and, after
 * Theta, assembles what they lack (nngp_fill_restored). A resumed run
 * without NNGP pieces assembles the whole NNGP kernel after Theta. It lives
 * in state->nngp, which the run frees on every path. Collective. */
static ntk_status nngp_begin(const ntk_job *job, MPI_Comm comm, run_state *state, int64_t m_rows,
                             const ntk_run_piece *piece, ntk_assembly_hooks *hooks)
{
    if (job->kernel.kind != NTK_KIND_ANALYTIC || !job->kernel.nngp ||
        (piece != NULL && state->checkpoint.first_step > 0))
        return NTK_OK;
    const ntk_grid *grid = &state->grid;
    ntk_checkpoint *saved = &state->nngp_checkpoint;
    NTK_TRY(ntk_agree(dmatrix_create(grid, m_rows, m_rows, &state->nngp), comm));
    NTK_TRY(ntk_agree(checkpoint_init_nngp(&job->checkpoint, job->output.dir, job_hash(job),
                                           grid, saved),
                      comm));
    if (piece != NULL) {
        NTK_TRY(checkpoint_set_piece(saved, piece->index, piece->count));
        hooks->nngp = &state->nngp;
        return NTK_OK;
    }
    saved->combine_pieces = 1;
    ntk_assembly_hooks restored = {0, NULL, NULL, NULL, NULL};
    NTK_TRY(checkpoint_resume(saved, &state->nngp, &restored));
    if (saved->n_pieces_read > 0 || state->checkpoint.steps_restored == 0)
        hooks->nngp = &state->nngp;
    else
        dmatrix_destroy(&state->nngp);
    return NTK_OK;
}

/* A combining run with NNGP pieces: the NNGP kernel of the steps whose
 * Theta was restored (from its checkpoint or a piece) but whose NNGP no
 * piece holds. Collective. */
static ntk_status nngp_fill_restored(const ntk_job *job, MPI_Comm comm, run_state *state)
{
    const ntk_checkpoint *theta_saved = &state->checkpoint, *nngp_saved = &state->nngp_checkpoint;
    if (nngp_saved->n_pieces_read == 0 || state->nngp.rows < 1)
        return NTK_OK;
    const int64_t steps = kernel_analytic_steps(&state->grid, state->nngp.cols);
    unsigned char *skip = NULL;
    NTK_TRY(ntk_agree(NTK_CALLOC(skip, (size_t)steps + 1, "NNGP step flags"), comm));
    int64_t lacking = 0;
    for (int64_t step = 0; step < steps; ++step) {
        const int lacks = checkpoint_step_restored(theta_saved, step) &&
                          !checkpoint_step_restored(nngp_saved, step);
        skip[step] = !lacks;
        lacking += lacks;
    }
    ntk_status status = NTK_OK;
    if (lacking > 0) {
        ntk_log("assemble nngp: %lld of %lld steps whose Theta was restored without it",
                (long long)lacking, (long long)steps);
        const ntk_kernel_config kernel_config = job_kernel_config(job);
        status = kernel_assemble_nngp_steps(&kernel_config, &state->model, &state->grid,
                                            &state->inputs, skip, &state->nngp);
    }
    free(skip);
    return status;
}

/* Theta (and the optional NNGP kernel), with checkpoints; theta.npy. A
 * piece of a job array stops after its steps, saved to its checkpoint. */
static ntk_status assemble(const ntk_job *job, MPI_Comm comm, run_state *state, int64_t m_rows,
                           const ntk_run_piece *piece, ntk_kernel_stats *stats,
                           double *analytic_distance)
{
    const ntk_grid *grid = &state->grid;
    char path[NTK_PATH_MAX];

    NTK_TRY(ntk_agree(dmatrix_create(grid, m_rows, m_rows, &state->theta), comm));

    NTK_TRY(ntk_agree(checkpoint_init(&job->checkpoint, job->output.dir, job_hash(job), grid,
                                      &state->checkpoint), comm));
    ntk_assembly_hooks hooks = {0, checkpoint_after_step, &state->checkpoint, NULL, NULL};
    /* The analytic kernel's steps are independent (each fills its own
     * columns), so a job array can split them; the empirical kernels add to
     * Theta over their steps (cmd_run refuses --piece for them). */
    if (piece != NULL)
        NTK_TRY(checkpoint_set_piece(&state->checkpoint, piece->index, piece->count));
    else
        state->checkpoint.combine_pieces = job->kernel.kind == NTK_KIND_ANALYTIC;
    NTK_TRY(checkpoint_resume(&state->checkpoint, &state->theta, &hooks));

    ntk_dmatrix *nngp = &state->nngp;
    NTK_TRY(nngp_begin(job, comm, state, m_rows, piece, &hooks));

    ntk_phase_begin("assemble theta");
    const ntk_kernel_config kernel_config = job_kernel_config(job);
    NTK_TRY(kernel_assemble(&kernel_config, &state->model, grid, &state->inputs, 1, &hooks,
                            &state->theta, stats));
    if (piece != NULL) {
        ntk_phase_end();
        /* NNGP first: a piece stopped between the two is rerun whole. */
        if (hooks.nngp != NULL) {
            state->nngp_checkpoint.steps_total = state->checkpoint.steps_total;
            NTK_TRY(checkpoint_save_piece(&state->nngp_checkpoint, nngp));
        }
        return checkpoint_save_piece(&state->checkpoint, &state->theta);
    }
    if (hooks.nngp != NULL) {
        NTK_TRY(nngp_fill_restored(job, comm, state));
        NTK_TRY(dmatrix_symmetrize_from_lower(grid, nngp));
    }
    const int nngp_done = hooks.nngp != NULL;
    if (kernel_needs_upper_triangle(&kernel_config)) {
        ntk_phase_begin("symmetrize theta");
        NTK_TRY(dmatrix_symmetrize_from_lower(grid, &state->theta));
    }
    ntk_phase_end();
    ntk_log("assembly: %s, %.3g GFLOP in all", stats->method, stats->flops_total * 1e-9);
    if (stats->timed && stats->products_seconds_sum > 0.0)
        ntk_log("assembly: Jacobians %.3f s, J J^T products %.3f s (slowest rank; %.2f GFLOP/s "
                "per rank in the products); CPU seconds over all ranks: Jacobians %.3f, "
                "products %.3f (%.2f GFLOP per CPU second)", stats->jacobian_seconds_max,
                stats->products_seconds_max,
                stats->flops_total / stats->products_seconds_sum * 1e-9,
                stats->jacobian_cpu_seconds, stats->products_cpu_seconds,
                stats->products_cpu_seconds > 0.0
                    ? stats->flops_total / stats->products_cpu_seconds * 1e-9 : 0.0);
    if (job->kernel.precision != NTK_PRECISION_FLOAT64)
        NTK_TRY(precision_statement_theta(job, state, &kernel_config, stats));

    if (job->output.theta) {
        NTK_TRY(stop_point_with_theta(comm, state,
                                      "after the assembly, before writing " OUTPUT_FILE_THETA));
        ntk_phase_begin("write theta");
        NTK_TRY(output_path(job->output.dir, OUTPUT_FILE_THETA, path));
        NTK_TRY(output_write_dmatrix_npy(path, grid, &state->theta));
        run_files_add(&state->files, OUTPUT_FILE_THETA);
    }
    *analytic_distance = -1.0;
    if (job->kernel.compare_analytic && job->kernel.kind == NTK_KIND_EMPIRICAL) {
        NTK_TRY(stop_point_with_theta(comm, state, "before the analytic kernel comparison"));
        ntk_phase_begin("compare with analytic");
        NTK_TRY(compare_with_analytic(job, &state->model, grid, &state->inputs, &state->theta,
                                      analytic_distance));
        ntk_log("||Theta - Theta_inf|| / ||Theta_inf|| = %.6g", *analytic_distance);
    }
    if (job->kernel.kind == NTK_KIND_ANALYTIC && job->kernel.nngp) {
        NTK_TRY(stop_point_with_theta(comm, state, "before the NNGP assembly"));
        ntk_status status = NTK_OK;
        if (!nngp_done) {
            ntk_phase_begin("assemble nngp");
            status = ntk_agree(dmatrix_create(grid, m_rows, m_rows, nngp), comm);
            if (status == NTK_OK)
                status = kernel_assemble_nngp(&kernel_config, &state->model, grid,
                                              &state->inputs, nngp);
        } else {
            ntk_phase_begin("write nngp");
        }
        if (status == NTK_OK)
            status = output_path(job->output.dir, OUTPUT_FILE_NNGP, path);
        if (status == NTK_OK)
            status = output_write_dmatrix_npy(path, grid, nngp);
        if (!(status == NTK_OK && job->predict.enabled && job->predict.ensemble))
            dmatrix_destroy(nngp); /* predict.ensemble needs it whole; nothing else does */
        NTK_TRY(status);
        run_files_add(&state->files, OUTPUT_FILE_NNGP);
    }
    /* training.kernel_after and training.kernel_every compare with Theta_0 */
    if (job->training.enabled && (job->training.kernel_after || job->training.kernel_every > 0)) {
        ntk_status status = dmatrix_create(grid, m_rows, m_rows, &state->theta_initial);
        if (status == NTK_OK)
            memcpy(state->theta_initial.data, state->theta.data,
                   sizeof(double) * (size_t)(state->theta.local_rows * state->theta.local_cols));
        NTK_TRY(ntk_agree(status, comm));
    }
    ntk_phase_end();
    return NTK_OK;
}

/* eta lambda / (N k) for a learning rate so large that it overflows gives
 * infinite rates and NaN predicted losses: refuse, naming the key, instead
 * of writing "loss: .nan". Both learning rates are checked (training's
 * defaults to the dynamics one). The same on every rank (values are). */
static ntk_status check_rates_finite(const ntk_job *job, const ntk_modes *modes,
                                     int64_t n_inputs, int k)
{
    const double nk = (double)n_inputs * (double)k;
    struct {
        const char *key;
        double eta;
        int used;
    } rates[2] = {{"dynamics.learning_rate", job->dynamics.learning_rate, 1},
                  {"training.learning_rate", job->training.learning_rate,
                   job->training.enabled}};
    for (int r = 0; r < 2; ++r) {
        if (!rates[r].used)
            continue;
        double fastest = rates[r].eta * (modes->lambda_max / nk);
        if (!isfinite(fastest))
            return NTK_RAISE(NTK_ERR_NUMERIC,
                             "%s: %g is too large: the mode rate eta * lambda_max / (N k) "
                             "overflows (lambda_max = %g, N k = %.0f; the largest stable rate "
                             "is %g)",
                             rates[r].key, rates[r].eta, modes->lambda_max, nk,
                             modes->largest_stable_learning_rate);
    }
    for (int j = 0; j < modes->n_steps; ++j)
        if (isnan(modes->predicted_loss[j]))
            return NTK_RAISE(NTK_ERR_NUMERIC,
                             "dynamics.learning_rate: %g is too large: the predicted loss at "
                             "step %lld is not a number (the largest stable rate is %g)",
                             job->dynamics.learning_rate, (long long)modes->steps[j],
                             modes->largest_stable_learning_rate);
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
                                  const ntk_preflight *checked, int64_t m_rows)
{
    const ntk_data_shape *shape = &checked->shape;
    char path[NTK_PATH_MAX];
    NTK_TRY(stop_point_with_theta(comm, state, "before the eigensolve"));
    if (checked->keep_theta_for_predict) {
        /* The eigensolve overwrites Theta; the predictions factor it after
         * (plan counts this copy). */
        ntk_status status = dmatrix_create(&state->grid, m_rows, m_rows, &state->theta_predict);
        if (status == NTK_OK)
            memcpy(state->theta_predict.data, state->theta.data,
                   sizeof(double) * (size_t)(state->theta.local_rows * state->theta.local_cols));
        NTK_TRY(ntk_agree(status, comm));
    }
    ntk_phase_begin("eigensolve");
    if (job->spectrum.solver == NTK_SOLVER_MATRIX_FREE) {
        NTK_TRY(solve_matrix_free(job, comm, state));
    } else if (job->kernel.precision == NTK_PRECISION_FLOAT32) {
        NTK_TRY(spectrum_solve_float32(&job->spectrum, &state->grid, &state->theta_single,
                                       &state->solve_budget, &state->spectrum));
        smatrix_destroy(&state->theta_single); /* overwritten by the solver */
        const ntk_spectrum *solved = &state->spectrum;
        if (solved->have_vectors)
            ntk_log("%s (kernel.precision float32): eigenpair check (%d random probes): "
                    "residual %.3g, orthogonality %.3g, tolerance %.3g", solved->solver,
                    solved->check.probes, solved->check.residual, solved->check.orthogonality,
                    solved->tolerance);
        else
            ntk_log("%s (kernel.precision float32): eigenvalue moments within %.3g, "
                    "tolerance %.3g", solved->solver, solved->values_check_error,
                    solved->tolerance);
    } else {
        NTK_TRY(spectrum_solve_within(&job->spectrum, &state->grid, &state->theta,
                                      &state->solve_budget, &state->spectrum));
        dmatrix_destroy(&state->theta); /* overwritten by the solver; free it early */
    }
    /* ScaLAPACK cannot be interrupted: a signal during it is acted on here. */
    NTK_TRY(stop_point(comm, state, "during the eigensolve"));
    ntk_log("%s: %lld eigenvalues, lambda_max = %.6g", state->spectrum.solver,
            (long long)state->spectrum.n_pairs,
            state->spectrum.n_pairs > 0 ? state->spectrum.values[0] : 0.0);
    if (state->have_precision) {
        ntk_precision_error *error = &state->precision;
        const double lambda_max = state->spectrum.n_pairs > 0 ? fabs(state->spectrum.values[0]) : 0.0;
        /* The eigensolver's own error: a backward-stable solver's M u
         * lambda_max (u = 2^-53 in float64, 2^-24 in float32), or in
         * float32 the backward error its probe check measured, sqrt(M)
         * residual lambda_max (the probes' mean ||E x|| / ||x|| is
         * ||E||_F / sqrt(M)), when that is larger. */
        double solver_error = (double)m_rows * ldexp(1.0, -53) * lambda_max;
        if (state->spectrum.single_precision) {
            double measured = state->spectrum.have_vectors
                                  ? sqrt((double)m_rows) * state->spectrum.check.residual
                                  : 0.0;
            solver_error = fmax((double)m_rows * ldexp(1.0, -24), measured) * lambda_max;
        }
        kernel_precision_error_eigenvalues(error, solver_error, state->spectrum.values,
                                           state->spectrum.n_pairs);
        if (state->spectrum.single_precision) /* the predictions leave out the modes below */
            state->spectrum.eigenvalue_floor = error->eigenvalue_bound;
        ntk_log("precision %s: every eigenvalue within %.3g of float64's (P u ||Theta||_F plus "
                "the eigensolver's %.3g, %.3g u lambda_max); %lld of the %lld eigenvalues are "
                "above it",
                ntk_choice_name(&kernel_precision_names, (int)error->precision),
                error->eigenvalue_bound, error->solver_error, error->bound_factor,
                (long long)error->eigenvalues_above, (long long)error->eigenvalues);
    }

    ntk_phase_begin("training modes");
    int channels = job->kernel.outputs == NTK_OUTPUTS_FULL ? 1 : shape->k;
    int64_t residual_rows = job->kernel.outputs == NTK_OUTPUTS_FULL ? m_rows : shape->n_inputs;
    NTK_TRY(modes_compute(&job->dynamics, &state->spectrum, &state->grid, shape->n_inputs,
                          shape->k, state->residual, residual_rows, channels, &state->modes));
    NTK_TRY(check_rates_finite(job, &state->modes, shape->n_inputs, shape->k));
    NTK_TRY(diagnostics_stage_spectrum(job, &state->grid, &state->spectrum, state->targets,
                                       shape->n_inputs, shape->k, &state->diagnostics));

    NTK_TRY(stop_point(comm, state, "before writing the spectrum"));
    ntk_phase_begin("write spectrum");
    if (state->spectrum.have_vectors && job->output.eigenvectors) {
        NTK_TRY(output_path(job->output.dir, OUTPUT_FILE_EIGENVECTORS, path));
        if (state->spectrum.single_precision)
            NTK_TRY(output_write_smatrix_npy(path, &state->grid, &state->spectrum.vectors_single));
        else
            NTK_TRY(output_write_dmatrix_npy(path, &state->grid, &state->spectrum.vectors));
        run_files_add(&state->files, OUTPUT_FILE_EIGENVECTORS);
    }
    ntk_status status = NTK_OK;
    if (state->grid.rank == 0) {
        status = output_write_eigenvalues(job->output.dir, &state->spectrum);
        if (status == NTK_OK)
            status = output_write_modes_csv(job->output.dir, &state->spectrum, &state->modes,
                                            state->diagnostics.target_power);
        if (status == NTK_OK && job->output.plot)
            status = output_write_svg(job->output.dir, job->name, job->dynamics.learning_rate,
                                      &state->spectrum, &state->modes);
        if (status == NTK_OK && state->diagnostics.have_curve)
            status = output_write_learning_curve(job->output.dir, job->name,
                                                 &state->diagnostics.curve, job->output.plot);
    }
    NTK_TRY(ntk_agree(status, comm));
    if (state->diagnostics.have_curve) {
        run_files_add(&state->files, OUTPUT_FILE_LEARNING_CURVE);
        if (job->output.plot)
            run_files_add(&state->files, OUTPUT_FILE_LEARNING_CURVE_SVG);
    }
    run_files_add(&state->files, OUTPUT_FILE_EIGENVALUES);
    run_files_add(&state->files, OUTPUT_FILE_MODES);
    if (job->output.plot)
        run_files_add(&state->files, OUTPUT_FILE_SPECTRUM_SVG);
    ntk_phase_end();
    return NTK_OK;
}

static ntk_status run(const ntk_job *job, MPI_Comm comm, run_state *state,
                      const ntk_run_piece *piece, ntk_run_result *result)
{
    double start = MPI_Wtime();
    int ranks = 1, rank = 0;
    MPI_Comm_size(comm, &ranks);
    MPI_Comm_rank(comm, &rank);
    ntk_phases_reset();
    ntk_log("job %s (%s) on %d rank%s", job->name, job->path, ranks, ranks == 1 ? "" : "s");

    /* Every check run makes before computing (validate makes the same), then
     * the folder: from here on its files belong to this run (run_files.h). */
    ntk_phase_begin("check sizes");
    ntk_preflight checked;
    NTK_TRY(preflight_check(job, comm, &checked));
    const ntk_data_shape shape = checked.shape;
    const int64_t m_rows = checked.m_rows;
    ntk_log("N = %lld inputs of dimension %lld, k = %d outputs, Theta is %lld x %lld (%s)",
            (long long)shape.n_inputs, (long long)shape.input_dim, shape.k, (long long)m_rows,
            (long long)m_rows, ntk_choice_name(&kernel_outputs_names, job->kernel.outputs));
    NTK_TRY(output_prepare_dir(job->output.dir, comm));
    /* The pieces of a job array run at once and leave output.dir's files
     * to the combining run: a piece writes only its checkpoint. */
    if (piece == NULL)
        NTK_TRY(run_files_begin(job, comm, &state->files));
    else
        ntk_log("piece %d of %d of Theta's assembly", piece->index, piece->count);
    NTK_TRY(prepare(job, comm, state, &checked));
    const int held_out = job->test_inputs.kind != NTK_SOURCE_NONE;

    ntk_kernel_stats stats;
    memset(&stats, 0, sizeof stats);
    double analytic_distance = -1.0;
    const int no_theta = job->spectrum.solver == NTK_SOLVER_MATRIX_FREE ||
                         (job->spectrum.solver == NTK_SOLVER_NONE && checked.predict_matrix_free);
    if (no_theta)
        stats.method = "none (matrix_free)";
    else if (job->kernel.precision == NTK_PRECISION_FLOAT32)
        NTK_TRY(assemble_float32(job, comm, state, m_rows, &stats));
    else
        NTK_TRY(assemble(job, comm, state, m_rows, piece, &stats, &analytic_distance));
    if (piece != NULL) {
        memset(result, 0, sizeof *result);
        result->n_inputs = shape.n_inputs;
        result->m_rows = m_rows;
        result->wall_seconds = MPI_Wtime() - start;
        ntk_log("piece %d of %d done in %.2f s: its steps are in %s; once every piece is done, "
                "run the job without --piece to combine them", piece->index, piece->count,
                result->wall_seconds, state->checkpoint.path);
        return NTK_OK;
    }

    if (job->diagnostics.enabled && job->spectrum.solver != NTK_SOLVER_MATRIX_FREE) {
        NTK_TRY(stop_point_with_theta(comm, state, "before the diagnostics"));
        NTK_TRY(diagnostics_stage_theta(job, &state->grid, &state->theta, state->targets,
                                        shape.k, &state->diagnostics));
        if (job->diagnostics.compare_weights[0] != '\0') {
            ntk_phase_begin("diagnostics: compare_weights");
            NTK_TRY(compare_with_weights(job, &shape, &state->grid, &state->inputs,
                                         &state->theta, &state->diagnostics.distance));
            state->diagnostics.have_distance = 1;
            ntk_log("kernel distance to %s: %.6g, relative Frobenius distance %.6g",
                    job->diagnostics.compare_weights,
                    state->diagnostics.distance.kernel_distance,
                    state->diagnostics.distance.relative_frobenius);
        }
        ntk_phase_end();
    }

    int solved = job->spectrum.solver != NTK_SOLVER_NONE;
    if (solved)
        NTK_TRY(solve_and_write(job, comm, state, &checked, m_rows));

    /* Per-layer kernels after the eigensolve freed Theta: one Theta_l at a
     * time next to the eigenvectors. */
    if (job->diagnostics.enabled && job->diagnostics.per_layer) {
        NTK_TRY(stop_point_with_theta(comm, state, "before the per-layer kernels"));
        ntk_phase_begin("diagnostics: per-layer kernels");
        NTK_TRY(layer_kernels_stage(job, &state->grid, &state->model, &state->inputs,
                                    state->targets, m_rows, &state->diagnostics.layers));
        state->diagnostics.have_layers = 1;
        ntk_phase_end();
        run_files_add(&state->files, OUTPUT_FILE_LAYERS);
        if (job->output.plot)
            run_files_add(&state->files, OUTPUT_FILE_LAYERS_SVG);
        if (job->output.theta_layers)
            run_files_add(&state->files, OUTPUT_FILE_THETA_LAYERS);
    }

    /* Held-out inputs: the cross kernel and the predictions, from the model
     * at initialisation (before training changes it). */
    ntk_predict_facts predict_facts;
    const ntk_predict_config predict_config = job_predict_config(job);
    const ntk_predict_operands operands = {
        solved ? &state->spectrum : NULL,
        solved ? (checked.keep_theta_for_predict ? &state->theta_predict : NULL)
               : (checked.predict_matrix_free ? NULL : &state->theta),
        checked.linear, checked.linear_why, state->nngp.rows > 0 ? &state->nngp : NULL};
    const ntk_kernel_config main_kernel = job_kernel_config(job);
    if (held_out && operands.theta != NULL && operands.linear != NULL &&
        !kernel_needs_upper_triangle(&main_kernel)) {
        /* The assembly filled the lower triangle only; the solver's
         * residual check multiplies by the whole Theta. */
        ntk_phase_begin("symmetrize theta");
        NTK_TRY(dmatrix_symmetrize_from_lower(
            &state->grid, checked.keep_theta_for_predict ? &state->theta_predict : &state->theta));
    }
    if (held_out)
        NTK_TRY(predict_stage(&predict_config, comm, &state->grid, &state->model, &state->inputs,
                              state->own_targets, &operands, &predict_facts, &state->tracker));
    if (held_out && job->output.test_theta) {
        run_files_add(&state->files, OUTPUT_FILE_TEST_THETA);
        if (job->kernel.kind == NTK_KIND_ANALYTIC && job->kernel.nngp)
            run_files_add(&state->files, OUTPUT_FILE_TEST_NNGP);
    }
    if (held_out && job->predict.enabled && checked.linear != NULL &&
        checked.linear->id == NTK_LINEAR_CG) {
        run_files_add(&state->files, OUTPUT_FILE_CG_CSV);
        if (job->output.plot)
            run_files_add(&state->files, OUTPUT_FILE_CG_SVG);
    }
    if (held_out && job->predict.enabled) {
        run_files_add(&state->files, OUTPUT_FILE_TEST_PREDICTIONS);
        run_files_add(&state->files, OUTPUT_FILE_PREDICT_CSV);
        if (job->output.plot)
            run_files_add(&state->files, OUTPUT_FILE_PREDICT_SVG);
        if (job->predict.ensemble) {
            run_files_add(&state->files, OUTPUT_FILE_TEST_MEAN);
            run_files_add(&state->files, OUTPUT_FILE_TEST_VARIANCE);
        }
    }

    ntk_training_result training = {0.0, -1.0};
    if (job->training.enabled) {
        /* job_rules.h: training needs targets and a spectrum (checked at load). */
        NTK_TRY(stop_point(comm, state, "before training"));
        ntk_phase_begin("training");
        ntk_training_test test = {0};
        if (state->tracker != NULL) {
            test.inputs = predict_tracker_inputs(state->tracker);
            test.targets = predict_tracker_targets(state->tracker);
            test.predicted_loss = predict_tracker_test_loss;
            test.context = state->tracker;
        }
        const ntk_training_config training_config = {&job->training, job_kernel_config(job),
                                                     job->output.dir, job->path,
                                                     state->targets, job->name, job->output.plot};
        NTK_TRY(training_run(&training_config, &state->model, &state->grid, &state->inputs,
                             state->own_targets, &state->spectrum, &state->modes,
                             state->theta_initial.rows > 0 ? &state->theta_initial : NULL,
                             state->tracker != NULL ? &test : NULL, &training));
        ntk_phase_end();
        run_files_add(&state->files, OUTPUT_FILE_TRAINING);
        if (job->training.kernel_every > 0 && state->theta_initial.rows > 0) {
            run_files_add(&state->files, OUTPUT_FILE_KERNEL_DRIFT);
            if (job->output.plot)
                run_files_add(&state->files, OUTPUT_FILE_KERNEL_DRIFT_SVG);
        }
        if (job->training.mode_every > 0 && state->spectrum.have_vectors) {
            run_files_add(&state->files, OUTPUT_FILE_TRAINING_MODES);
            if (job->output.plot)
                run_files_add(&state->files, OUTPUT_FILE_TRAINING_MODES_SVG);
        }
    }
    NTK_TRY(stop_point_with_theta(comm, state, "before writing " OUTPUT_FILE_SUMMARY));
    if (job->output.params) {
        char path[NTK_PATH_MAX];
        ntk_status status = output_path(job->output.dir, OUTPUT_FILE_PARAMS, path);
        if (status == NTK_OK && rank == 0)
            status = model_save_weights(path, &state->model);
        NTK_TRY(ntk_agree(status, comm));
        run_files_add(&state->files, OUTPUT_FILE_PARAMS);
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
    facts.precision = state->have_precision ? &state->precision : NULL;
    facts.predict = held_out ? &predict_facts : NULL;
    state->diagnostics.enabled = job->diagnostics.enabled;
    facts.diagnostics = &state->diagnostics;
    facts.learning_rate = job->dynamics.learning_rate;
    facts.wall_seconds = MPI_Wtime() - start;
    char *echo = NULL;
    ntk_status status = rank == 0 ? job_echo_text(job, 2, &echo) : NTK_OK;
    facts.job_echo = echo;
    if (status == NTK_OK && rank == 0)
        status = output_write_summary(job->output.dir, &facts);
    free(echo);
    NTK_TRY(ntk_agree(status, comm));
    run_files_add(&state->files, OUTPUT_FILE_SUMMARY);
    if (!no_theta && job->kernel.precision != NTK_PRECISION_FLOAT32) { /* no checkpoint */
        NTK_TRY(checkpoint_finish(&state->nngp_checkpoint));
        NTK_TRY(checkpoint_finish(&state->checkpoint));
    }
    NTK_TRY(run_files_finish(job, comm));

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
    char written[512];
    run_files_list(&state->files, written, sizeof written);
    ntk_log("done in %.2f s; results in %s/ (%s)", result->wall_seconds, job->output.dir,
            written);
    return NTK_OK;
}

ntk_status pipeline_run(const ntk_job *job, MPI_Comm comm, ntk_run_result *result)
{
    run_state state;
    memset(&state, 0, sizeof state);
    ntk_status status = run(job, comm, &state, NULL, result);
    run_state_free(&state);
    return status;
}

ntk_status pipeline_run_piece(const ntk_job *job, MPI_Comm comm, ntk_run_piece piece,
                              ntk_run_result *result)
{
    if (piece.count < 1 || piece.index < 0 || piece.index >= piece.count)
        return NTK_RAISE(NTK_ERR_INTERNAL, "pipeline_run_piece: piece %d of %d", piece.index,
                         piece.count);
    run_state state;
    memset(&state, 0, sizeof state);
    ntk_status status = run(job, comm, &state, &piece, result);
    run_state_free(&state);
    return status;
}
