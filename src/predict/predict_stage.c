/* The held-out stage of a run (predict.h, predict_stage): test data, the
 * cross kernel and its files, then the predictions and theirs. Each step's
 * rank-local work is agreed on before the next collective one.
 *
 * Stop signals (README "Signals"): the cross kernel's assembly has a safe
 * point after every step and writes a checkpoint there
 * (<checkpoint.dir>/test_theta.ckpt, checkpoint_init_cross), so a rerun
 * resumes it; after the assembly, while the cross kernel is whole, the safe
 * points before each file and before the predictions save it whole. The
 * checkpoint is removed once the stage's files are written. */
#include "predict/predict.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint/checkpoint.h"
#include "core/log.h"
#include "output/file_names.h"
#include "predict/cg/cg_operators.h"

typedef struct {
    ntk_input_block test;
    ntk_predict_inputs in; /* what predict_compute was given (the tracker reuses it) */
    double *own_test_targets, *own_work;
    double *train_residual, *test_f0, *test_targets;
    ntk_dmatrix cross;
    ntk_predictions predictions;
    ntk_checkpoint checkpoint; /* of the cross kernel's assembly */
} stage_state;

static void stage_free(stage_state *s)
{
    predict_free(&s->predictions);
    dmatrix_destroy(&s->cross);
    free(s->test.x);
    free(s->own_test_targets);
    free(s->own_work);
    free(s->train_residual);
    free(s->test_f0);
    free(s->test_targets);
}

/* f_0 on an own block (zero for the analytic kernel: the infinite-width
 * mean, and with predict.f0: zero), minus `targets` when given, gathered to
 * every rank (n x k). */
static ntk_status gather_outputs(const ntk_predict_config *config, const ntk_model *model,
                                 const ntk_input_block *block, const double *targets, int k,
                                 MPI_Comm comm, double *own_work, double *all)
{
    ntk_status status = NTK_OK;
    memset(own_work, 0, sizeof(double) * (size_t)(block->count * k + 1));
    if (config->kernel.kernel->kind == NTK_KIND_EMPIRICAL && config->predict->f0 == NTK_F0_NETWORK &&
        block->count > 0)
        status = model_forward(model, block->x, block->count, own_work);
    if (targets != NULL)
        for (int64_t i = 0; i < block->count * k; ++i)
            own_work[i] -= targets[i];
    NTK_TRY(ntk_agree(status, comm));
    NTK_TRY(predict_gather_rows(own_work, block->count, block->n, k, comm, all));
    return NTK_OK;
}

/* A safe point while the cross kernel is whole: a stop saves it as a
 * complete checkpoint, so the rerun skips its assembly. Collective. */
static ntk_status stop_point(stage_state *s, const char *where)
{
    return checkpoint_stop_with_theta(&s->checkpoint, &s->cross, where);
}

/* The NNGP cross kernel's after_step hook (`context` the stage): a safe
 * point after every step that saves the NTK cross kernel, which is whole. */
static ntk_status nngp_step_stop(void *context, ntk_dmatrix *nngp, int64_t steps_done,
                                 int64_t steps_total)
{
    (void)nngp;
    char where[128];
    snprintf(where, sizeof where, "during the NNGP cross kernel assembly (after step %lld of %lld)",
             (long long)steps_done, (long long)steps_total);
    return stop_point(context, where);
}

static ntk_status write_cross(const ntk_predict_config *config, const ntk_model *model,
                              const ntk_grid *grid, const ntk_input_block *test,
                              const ntk_input_block *train, stage_state *s)
{
    const ntk_dmatrix *cross = &s->cross;
    char path[NTK_PATH_MAX];
    NTK_TRY(stop_point(s, "before writing " OUTPUT_FILE_TEST_THETA));
    NTK_TRY(output_path(config->output->dir, OUTPUT_FILE_TEST_THETA, path));
    NTK_TRY(output_write_dmatrix_npy(path, grid, cross));
    if (config->kernel.kernel->kind != NTK_KIND_ANALYTIC || !config->kernel.kernel->nngp)
        return NTK_OK;
    /* The NNGP cross kernel beside nngp.npy: no checkpoint of its own, but
     * a stop point after every step that saves the NTK one. */
    NTK_TRY(stop_point(s, "before the NNGP cross kernel assembly"));
    ntk_dmatrix nngp;
    NTK_TRY(ntk_agree(dmatrix_create(grid, cross->rows, cross->cols, &nngp), grid->comm));
    const ntk_assembly_hooks hooks = {0, nngp_step_stop, s, NULL, NULL};
    ntk_status status = kernel_assemble_cross(&config->kernel, model, grid, test, train, 1, &hooks,
                                              &nngp, NULL);
    if (status == NTK_OK)
        status = output_path(config->output->dir, OUTPUT_FILE_TEST_NNGP, path);
    if (status == NTK_OK)
        status = output_write_dmatrix_npy(path, grid, &nngp);
    dmatrix_destroy(&nngp);
    return status;
}

/* t = infinity through the linear solver's table: X = (Theta + ridge I)^-1 r,
 * then the predictions from X. */
static ntk_status solve_infinity(const ntk_predict_config *config, const ntk_grid *grid,
                                 const ntk_model *model, const ntk_input_block *train,
                                 const ntk_predict_operands *operands, stage_state *s,
                                 ntk_predict_facts *facts)
{
    const ntk_predict_inputs *in = &s->in;
    const int64_t M = in->full ? in->n_train * in->k : in->n_train;
    const int64_t rhs = in->full ? 1 : in->k;
    double *solution = NULL;
    NTK_TRY(ntk_agree(NTK_CALLOC(solution, M * rhs + 1, "the linear solve's solution"),
                      grid->comm));
    ntk_linear_report report;
    memset(&report, 0, sizeof report);
    report.relative_residual = NAN;
    report.iteration_seconds = NAN;
    report.product_seconds = NAN;
    const linear_context context = {config->output->dir, config->output->plot,
                                    config->checkpoint,  config->job_hash,
                                    &config->kernel,     model,
                                    train,               config->kernel.model->seed};
    linear_call call = {config->predict, grid, operands->theta, operands->spectrum, NULL, NULL,
                        1.0, 0.0, rhs, s->train_residual, solution, &report, M, &context};
    /* Without a stored Theta an iterative solver multiplies by J (J^T V):
     * the products' operator lives here, for the solve and its check. */
    cg_matrix_free products;
    const int matrix_free = operands->theta == NULL &&
                            (operands->linear->capabilities & LINEAR_MATRIX_FREE) != 0 &&
                            operands->linear->id != NTK_LINEAR_EIGEN;
    ntk_status status = NTK_OK;
    if (matrix_free) {
        ntk_phase_begin("features");
        status = cg_matrix_free_create(&config->kernel, model, grid, train, 1,
                                       rhs > MF_CHECK_COLUMNS ? rhs : MF_CHECK_COLUMNS, &products);
        if (status != NTK_OK) {
            free(solution);
            return NTK_FRAME(status);
        }
        call.apply = cg_matrix_free_apply_replicated;
        call.apply_context = &products;
        ntk_phase_begin("predict");
    }
    status = linear_solve(operands->linear, &call);
    if (matrix_free)
        cg_matrix_free_destroy(&products);
    if (status == NTK_OK)
        status = predict_compute_solved(in, grid, &s->cross, solution, call.shift,
                                        &s->predictions);
    free(solution);
    NTK_TRY(status);
    snprintf(facts->solver_detail, sizeof facts->solver_detail, "%s", report.detail);
    facts->solve_seconds = report.seconds;
    facts->solve_residual = report.residual;
    facts->jitter = report.jitter;
    facts->iterations = report.iterations;
    facts->relative_residual = report.relative_residual;
    facts->preconditioner_rank = report.preconditioner_rank;
    facts->iteration_seconds = report.iteration_seconds;
    facts->product_seconds = report.product_seconds;
    ntk_log("predict: %s (%s): backward error %.3g, %.3g s%s", operands->linear->name,
            report.detail, report.residual, report.seconds,
            report.jitter > 0.0 ? ", with jitter on the diagonal" : "");
    return NTK_OK;
}


/* kernel.precision float32: the modes at or below the eigenvalues' stated
 * error bound (spectrum->eigenvalue_floor) carry no information about
 * Theta's, so the predictions leave them out (predict_math.c), said by a
 * warning; t = infinity without a ridge weights each mode by 1 / lambda and
 * would be decided by them, so it is refused when lambda_min is below the
 * bound. The same on every rank (the values are). */
static ntk_status check_eigenvalue_floor(const ntk_predict_spec *spec,
                                         const ntk_spectrum *spectrum)
{
    const double floor = spectrum->eigenvalue_floor;
    if (!(floor > 0.0) || spectrum->n_pairs < 1)
        return NTK_OK;
    int64_t below = 0;
    for (int64_t i = 0; i < spectrum->n_pairs; ++i)
        below += spectrum->values[i] <= floor;
    const double lambda_min = spectrum->values[spectrum->n_pairs - 1];
    if (spec->infinite && spec->ridge == 0.0 && lambda_min <= floor) {
        char where[NTK_PATH_MAX + 64];
        job_location_text(&spec->where, where, sizeof where);
        return NTK_RAISE(NTK_ERR_JOB,
                         "%s: predict: t = infinity without predict.ridge weights every mode by "
                         "1/lambda, but with kernel.precision float32 lambda_min = %.3g is below "
                         "the eigenvalues' error bound %.3g (%lld of %lld modes): set "
                         "predict.ridge (at least the bound), predict.infinite: false, or "
                         "kernel.precision: float64",
                         where, lambda_min, floor, (long long)below, (long long)spectrum->n_pairs);
    }
    if (below > 0)
        ntk_warn("predict: kernel.precision float32: %lld of the %lld modes are at or below the "
                 "eigenvalues' error bound %.3g and are left out of the predictions",
                 (long long)below, (long long)spectrum->n_pairs, floor);
    return NTK_OK;
}
static ntk_status run_predictions(const ntk_predict_config *config, MPI_Comm comm,
                                  const ntk_grid *grid, const ntk_model *model,
                                  const ntk_input_block *train, const double *train_targets,
                                  const ntk_predict_operands *operands,
                                  const ntk_test_shape *shape, int k, stage_state *s,
                                  ntk_predict_facts *facts)
{
    int64_t widest = train->count > s->test.count ? train->count : s->test.count;
    ntk_status status = NTK_CALLOC(s->own_work, widest * k + 1, "predict outputs");
    if (status == NTK_OK)
        status = NTK_CALLOC(s->train_residual, train->n * k + 1, "predict training residual");
    if (status == NTK_OK)
        status = NTK_CALLOC(s->test_f0, shape->n_test * k + 1, "predict test outputs");
    if (status == NTK_OK && shape->have_targets)
        status = NTK_CALLOC(s->test_targets, shape->n_test * k + 1, "predict test targets");
    NTK_TRY(ntk_agree(status, comm));
    NTK_TRY(gather_outputs(config, model, train, train_targets, k, comm, s->own_work,
                           s->train_residual));
    NTK_TRY(gather_outputs(config, model, &s->test, NULL, k, comm, s->own_work, s->test_f0));
    if (shape->have_targets)
        NTK_TRY(predict_gather_rows(s->own_test_targets, s->test.count, shape->n_test, k, comm,
                                    s->test_targets));

    ntk_predict_inputs in = {config->predict, config->learning_rate, train->n, k,
                             config->kernel.kernel->outputs == NTK_OUTPUTS_FULL, s->train_residual,
                             s->test_f0, s->test_targets, shape->n_test};
    s->in = in;
    NTK_TRY(stop_point(s, "before the predictions"));
    const ntk_linear_solver_ops *linear = operands->linear;
    facts->solver = linear->name;
    snprintf(facts->solver_why, sizeof facts->solver_why, "%s", operands->linear_why);
    facts->f0 = ntk_choice_name(&predict_f0_names, (int)config->predict->f0);
    facts->solve_residual = NAN;
    facts->relative_residual = NAN;
    facts->iteration_seconds = NAN;
    facts->product_seconds = NAN;
    facts->jitter = 0.0;
    const int64_t M = s->in.full ? s->in.n_train * k : s->in.n_train;
    const linear_request request = {.spec = config->predict,
                                    .matrix_size = M,
                                    .right_hand_sides = s->in.full ? 1 : k,
                                    .grid_rows = grid->rows,
                                    .grid_cols = grid->cols,
                                    .block = grid->block,
                                    .spectrum_has_vectors = 1,
                                    /* cg's estimate counts stored products only */
                                    .theta_assembled = operands->theta != NULL ||
                                                       linear->id != NTK_LINEAR_CG,
                                    .theta_kept = 1};
    facts->solve_flops = linear->flops != NULL ? linear->flops(&request) : NAN;
    if (linear->id == NTK_LINEAR_EIGEN) {
        /* Every t from the eigenpairs at once (predict_math.c); they were
         * checked by their residual in the spectrum module. */
        NTK_TRY(check_eigenvalue_floor(config->predict, operands->spectrum));
        const double start = MPI_Wtime();
        NTK_TRY(predict_compute(&in, operands->spectrum, grid, &s->cross, &s->predictions));
        facts->solve_seconds = MPI_Wtime() - start;
        snprintf(facts->solver_detail, sizeof facts->solver_detail,
                 "through the eigenpairs, checked by the spectrum's residual");
    } else {
        NTK_TRY(solve_infinity(config, grid, model, train, operands, s, facts));
    }
    const ntk_predictions *p = &s->predictions;
    int last = p->slices - 1;
    facts->have = 1;
    facts->modes_used = p->modes_used;
    facts->final_step = p->step[last];
    facts->final_train_loss = p->train_loss[last];
    facts->final_test_loss = p->test_loss[last];
    facts->final_test_accuracy = p->test_accuracy[last];
    if (p->modes_used >= 0)
        ntk_log("predict: %d slices, %lld of %lld modes used; at the last (step %g) train loss "
                "%.6g, test loss %.6g, test accuracy %.6g",
                p->slices, (long long)p->modes_used, (long long)operands->spectrum->n_pairs,
                p->step[last], p->train_loss[last], p->test_loss[last], p->test_accuracy[last]);
    else
        ntk_log("predict: t = infinity by %s: train loss %.6g, test loss %.6g, test accuracy "
                "%.6g",
                linear->name, p->train_loss[last], p->test_loss[last], p->test_accuracy[last]);

    NTK_TRY(stop_point(s, "before writing the predictions"));
    status = NTK_OK;
    if (grid->rank == 0) {
        status = predict_write_npy(config->output->dir, p);
        if (status == NTK_OK)
            status = predict_write_csv(config->output->dir, p);
        if (status == NTK_OK && config->output->plot)
            status = predict_write_svg(config->output->dir, config, p);
    }
    NTK_TRY(ntk_agree(status, comm));
    return NTK_OK;
}

/* predict.ensemble: the NNGP cross kernel, the mean and variance, their
 * files. Collective. */
static ntk_status run_ensemble(const ntk_predict_config *config, const ntk_grid *grid,
                               const ntk_model *model, const ntk_input_block *train,
                               const ntk_predict_operands *operands, stage_state *s)
{
    NTK_TRY(stop_point(s, "before the ensemble predictions"));
    ntk_dmatrix cross_nngp;
    NTK_TRY(ntk_agree(dmatrix_create(grid, s->cross.rows, s->cross.cols, &cross_nngp), grid->comm));
    ntk_status status = kernel_assemble_cross(&config->kernel, model, grid, &s->test, train, 1,
                                              NULL, &cross_nngp, NULL);
    ntk_ensemble ensemble;
    memset(&ensemble, 0, sizeof ensemble);
    if (status == NTK_OK) {
        const ntk_ensemble_inputs inputs = {config,  &s->in,      operands,      grid,
                                            &s->test, &s->cross, &cross_nngp, operands->nngp};
        status = predict_ensemble(&inputs, &ensemble);
    }
    dmatrix_destroy(&cross_nngp);
    NTK_TRY(status);
    status = NTK_OK;
    if (grid->rank == 0)
        status = predict_write_ensemble(config->output->dir, &ensemble);
    predict_ensemble_free(&ensemble);
    return ntk_agree(status, grid->comm);
}

static ntk_status stage(const ntk_predict_config *config, MPI_Comm comm, const ntk_grid *grid,
                        const ntk_model *model, const ntk_input_block *train,
                        const double *train_targets, const ntk_predict_operands *operands,
                        stage_state *s, ntk_predict_facts *facts)
{
    const int k = (int)config->kernel.model->width[config->kernel.model->n_dense - 1];
    ntk_test_shape shape;
    NTK_TRY(ntk_agree(predict_test_shape(config, train->dim, k, &shape), comm));
    facts->n_test = shape.n_test;

    ntk_phase_begin("read test inputs");
    ntk_status status = predict_read_test_block(config, &shape, train->dim, grid->rank, grid->size,
                                                &s->test);
    if (status == NTK_OK)
        status = predict_read_test_targets(config, &shape, k, &s->test, &s->own_test_targets);
    if (status == NTK_OK)
        status = dmatrix_create(grid, kernel_rows(&config->kernel, shape.n_test, k),
                                kernel_rows(&config->kernel, train->n, k), &s->cross);
    NTK_TRY(ntk_agree(status, comm));

    NTK_TRY(
        ntk_agree(checkpoint_init_cross(config->checkpoint, config->output->dir, config->job_hash,
                                        config->test_inputs, grid, &s->checkpoint),
                  comm));
    ntk_assembly_hooks hooks = {0, checkpoint_after_step, &s->checkpoint, NULL, NULL};
    NTK_TRY(checkpoint_resume(&s->checkpoint, &s->cross, &hooks));
    ntk_phase_begin("assemble cross kernel");
    ntk_kernel_stats stats;
    NTK_TRY(kernel_assemble_cross(&config->kernel, model, grid, &s->test, train, 0, &hooks,
                                  &s->cross, &stats));
    facts->cross_flops = stats.flops_total;
    ntk_log("cross kernel: %lld x %lld, %s, %.3g GFLOP in all", (long long)s->cross.rows,
            (long long)s->cross.cols, stats.method, stats.flops_total * 1e-9);
    if (config->output->test_theta) {
        ntk_phase_begin("write test theta");
        NTK_TRY(write_cross(config, model, grid, &s->test, train, s));
    }
    if (config->predict->enabled) {
        ntk_phase_begin("predict");
        NTK_TRY(run_predictions(config, comm, grid, model, train, train_targets, operands,
                                &shape, k, s, facts));
        if (config->predict->ensemble)
            NTK_TRY(run_ensemble(config, grid, model, train, operands, s));
    }
    ntk_phase_end();
    /* Its files are written: the rerun of a later stop recomputes it. */
    return checkpoint_finish(&s->checkpoint);
}

struct predict_tracker {
    stage_state state;
    ntk_predict_spec spec; /* one step at a time, no infinity */
    const ntk_spectrum *spectrum;
    const ntk_grid *grid;
};

const ntk_input_block *predict_tracker_inputs(const predict_tracker *tracker)
{
    return &tracker->state.test;
}

const double *predict_tracker_targets(const predict_tracker *tracker)
{
    return tracker->state.own_test_targets;
}

ntk_status predict_tracker_test_loss(void *context, double step, double *loss)
{
    predict_tracker *tracker = context;
    tracker->spec.steps[0] = (int64_t)step;
    ntk_predictions one;
    NTK_TRY(predict_compute(&tracker->state.in, tracker->spectrum, tracker->grid,
                            &tracker->state.cross, &one));
    *loss = one.test_loss[0];
    predict_free(&one);
    return NTK_OK;
}

void predict_tracker_free(predict_tracker *tracker)
{
    if (tracker == NULL)
        return;
    stage_free(&tracker->state);
    free(tracker);
}

ntk_status predict_stage(const ntk_predict_config *config, MPI_Comm comm, const ntk_grid *grid,
                         const ntk_model *model, const ntk_input_block *train,
                         const double *train_targets, const ntk_predict_operands *operands,
                         ntk_predict_facts *facts, predict_tracker **tracker)
{
    if (tracker != NULL)
        *tracker = NULL;
    memset(facts, 0, sizeof *facts);
    facts->cross_flops = -1.0;
    facts->final_step = facts->final_train_loss = facts->final_test_loss = NAN;
    facts->final_test_accuracy = NAN;
    stage_state s;
    memset(&s, 0, sizeof s);
    facts->solve_residual = NAN;
    ntk_status status = stage(config, comm, grid, model, train, train_targets, operands, &s, facts);
    /* The held-out loss during training follows the network from its own
     * f_0 through the eigenpairs. */
    const ntk_spectrum *spectrum = operands->spectrum;
    const int track = status == NTK_OK && tracker != NULL && config->training->enabled &&
                      config->predict->enabled && s.test_targets != NULL &&
                      config->predict->f0 == NTK_F0_NETWORK && spectrum != NULL &&
                      spectrum->have_vectors && spectrum->n_pairs == spectrum->vectors.rows;
    predict_tracker *kept = NULL;
    if (track) {
        status = NTK_CALLOC(kept, 1, "the held-out loss tracker");
        status = ntk_agree(status, comm);
    }
    if (!track || status != NTK_OK) {
        free(kept);
        stage_free(&s);
        return status;
    }
    /* The model trains from here: the tracker keeps the data, the cross
     * kernel and f_0 at initialisation; the rates are training's. */
    kept->state = s;
    kept->spec = *config->predict;
    kept->spec.n_steps = 1;
    kept->spec.infinite = 0;
    kept->state.in.spec = &kept->spec;
    kept->state.in.learning_rate = config->training->learning_rate;
    kept->spectrum = spectrum;
    kept->grid = grid;
    predict_free(&kept->state.predictions);
    *tracker = kept;
    return NTK_OK;
}
