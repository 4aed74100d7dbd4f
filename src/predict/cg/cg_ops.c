/* predict.solver cg: the linear-solver table (predict/linear_solver.h) of
 * the conjugate gradient of cg.h, on the stored Theta (call->theta) or on
 * the matrix-free operator the stage made (call->apply_context, a
 * cg_matrix_free; call->apply multiplies replicated vectors with it for the
 * service's check).
 *
 * Around the recurrences: the preconditioner of predict.preconditioner,
 * progress lines with the residual and an ETA, a safe point after every
 * iteration (a stop signal, or checkpoint.every elapsed, writes the iterate
 * to <checkpoint.dir>/cg.ckpt; a stop then ends the run, and the rerun
 * resumes from it with the same iterates), cg.csv and cg.svg, and the
 * refusal of a solve that did not reach predict.tol. */
#include "predict/linear_solver.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/signals.h"
#include "output/file_names.h"
#include "output/output.h"
#include "predict/cg/cg.h"
#include "predict/cg/cg_operators.h"
#include "predict/predict.h"

static const char *cg_unfit(const linear_request *request)
{
    const ntk_predict_spec *spec = request->spec;
    if (spec->steps_given && spec->n_steps > 0)
        return "it gives t = infinity only, but predict.steps asks for finite t (leave "
               "predict.steps out, or use eigen)";
    if (!spec->infinite)
        return "it gives t = infinity only, but predict.infinite is false";
    if (spec->ensemble)
        return "it does not compute predict.ensemble's mean and variance (use cholesky or eigen)";
    if (request->matrix_size > INT_MAX)
        return "M is above ScaLAPACK's 32-bit sizes";
    return NULL;
}

static int64_t cg_preconditioner_rank_for(const ntk_predict_spec *spec, int64_t matrix_size)
{
    if (spec->preconditioner == NTK_PRECONDITIONER_NONE)
        return 0;
    return spec->preconditioner_rank < matrix_size ? spec->preconditioner_rank : matrix_size;
}

static void cg_workspace(const linear_request *request, ntk_linear_workspace *workspace)
{
    /* The most own rows of any rank: M / ranks rounded up. */
    const int ranks = request->grid_rows * request->grid_cols;
    const double own = ceil((double)request->matrix_size / (double)(ranks > 0 ? ranks : 1));
    const double rhs = (double)request->right_hand_sides;
    const double rank = (double)cg_preconditioner_rank_for(request->spec, request->matrix_size);
    const int stored = request->theta_assembled;
    workspace->theta_copy_bytes =
        stored && !request->theta_kept
            ? 8.0 * (double)grid_local_count(request->matrix_size, request->block, 0,
                                             request->grid_rows) *
                  (double)grid_local_count(request->matrix_size, request->block, 0,
                                           request->grid_cols)
            : 0.0;
    workspace->matrix_bytes = 0.0;
    /* x, r, p, z, q and the packed product columns (7 x own rows x rhs),
     * the block-cyclic product operands, the replicated B and X, and the
     * preconditioner while it is built (cg_preconditioner.c): its factor,
     * basis, the Nystrom factor's copy, the pivot columns in own rows and
     * their block-cyclic block, 5 x own rows x rank (a power step holds 4). */
    workspace->vector_bytes = 8.0 * (9.0 * own * rhs + 2.0 * (double)request->matrix_size * rhs +
                                     5.0 * own * rank);
}

static double cg_flops(const linear_request *request)
{
    /* An upper bound: predict.max_iterations stored products (2 M^2 per
     * column) and the preconditioner's Gram work (6 M r^2). The
     * matrix-free product's flops are the model's (plan adds them). */
    const double m = (double)request->matrix_size;
    const double rank = (double)cg_preconditioner_rank_for(request->spec, request->matrix_size);
    const double iterations = (double)request->spec->max_iterations;
    const double product = request->theta_assembled ? 2.0 * m * m : 0.0;
    return iterations * (product + 4.0 * m * rank + 10.0 * m) *
               (double)request->right_hand_sides +
           6.0 * m * rank * rank;
}

/* The iteration hook's state: progress, checkpoint, stop signals. */
typedef struct {
    MPI_Comm comm;
    const char *checkpoint_path;
    uint64_t job_hash;
    int64_t size;
    double every_seconds, last_write, last_log, start;
    int64_t start_iteration;
    double tolerance;
} hook_state;

static double largest_residual(const cg_state *state, int64_t iteration)
{
    double worst = 0.0;
    for (int c = 0; c < state->channels; ++c)
        worst = fmax(worst, state->history[iteration * state->channels + c]);
    return worst;
}

static void log_progress(hook_state *h, const cg_state *state)
{
    const double now = MPI_Wtime();
    const int64_t done = state->iteration - h->start_iteration;
    const double residual = largest_residual(state, state->iteration);
    const double per_iteration = done > 0 ? (now - h->start) / (double)done : 0.0;
    /* ETA from the decay of the largest residual over the last iterations
     * (up to 20), extrapolated to the tolerance. */
    const int64_t window = state->iteration < 20 ? state->iteration : 20;
    char eta[64] = "ETA unknown";
    if (window > 0 && residual > 0.0) {
        const double before = largest_residual(state, state->iteration - window);
        const double rate = (log10(before) - log10(residual)) / (double)window;
        if (rate > 0.0 && residual > h->tolerance)
            snprintf(eta, sizeof eta, "ETA %.0f s",
                     (log10(residual) - log10(h->tolerance)) / rate * per_iteration);
        else if (residual <= h->tolerance)
            snprintf(eta, sizeof eta, "at the tolerance");
    }
    ntk_log("cg: iteration %lld, relative residual %.3g (the largest of %d), %.3g s per "
            "iteration, %s",
            (long long)state->iteration, residual, state->channels, per_iteration, eta);
    h->last_log = now;
}

static ntk_status after_iteration(void *context, const cg_state *state)
{
    hook_state *h = context;
    char where[96];
    snprintf(where, sizeof where, "during the conjugate gradient (after iteration %lld)",
             (long long)state->iteration);
    checkpoint_test_pause(where);
    const double now = MPI_Wtime();
    int flags[2] = {checkpoint_signal_pending(),
                    h->every_seconds > 0.0 && now - h->last_write >= h->every_seconds};
    /* Rank 0's clock decides the periodic checkpoint; any rank's signal stops. */
    NTK_MPI(MPI_Bcast(&flags[1], 1, MPI_INT, 0, h->comm));
    NTK_MPI(MPI_Allreduce(MPI_IN_PLACE, flags, 2, MPI_INT, MPI_MAX, h->comm));
    if (state->iteration == h->start_iteration || now - h->last_log >= 10.0)
        log_progress(h, state);
    if (flags[0] != 0 || flags[1] != 0) {
        NTK_TRY(cg_checkpoint_save(h->checkpoint_path, h->comm, h->job_hash, h->size, state));
        h->last_write = MPI_Wtime();
    }
    if (flags[0] != 0)
        return NTK_RAISE(NTK_ERR_INTERRUPTED,
                         "interrupted by signal %s %s; checkpoint of the iterate written to %s; "
                         "run the same command again to resume",
                         checkpoint_signal_name(flags[0]), where, h->checkpoint_path);
    return NTK_OK;
}

static ntk_status checkpoint_path(const linear_context *context, MPI_Comm comm, char *path)
{
    char dir[NTK_PATH_MAX];
    int length = context->checkpoint->dir[0] != '\0'
                     ? snprintf(dir, sizeof dir, "%s", context->checkpoint->dir)
                     : snprintf(dir, sizeof dir, "%s/checkpoint", context->output_dir);
    if (length >= (int)sizeof dir ||
        snprintf(path, NTK_PATH_MAX, "%s/%s", dir, OUTPUT_FILE_CG_CHECKPOINT) >= NTK_PATH_MAX)
        return NTK_RAISE(NTK_ERR_JOB, "checkpoint.dir: the path is too long");
    return output_prepare_dir(dir, comm);
}

/* X (own rows, column-major) into the replicated row-major call->x. */
static ntk_status gather_solution(const linear_call *call, const cg_state *state,
                                  int64_t first_row, int64_t size)
{
    const int64_t rhs = call->right_hand_sides;
    memset(call->x, 0, sizeof(double) * (size_t)(size * rhs));
    for (int64_t i = 0; i < state->own_rows; ++i)
        for (int64_t c = 0; c < rhs; ++c)
            call->x[(first_row + i) * rhs + c] = state->x[c * state->own_rows + i];
    return predict_allreduce_sum(call->x, size * rhs, call->grid->comm);
}

typedef struct {
    cg_stored stored;
    cg_preconditioner preconditioner;
    cg_state state;
    double *b;
} solve_state;

static ntk_status solve_with(const linear_call *call, solve_state *s, cg_operator **op)
{
    const linear_context *context = call->context;
    const ntk_predict_spec *spec = call->spec;
    const ntk_grid *grid = call->grid;
    if (context == NULL || (call->theta == NULL && call->apply_context == NULL))
        return NTK_RAISE(NTK_ERR_INTERNAL, "predict.solver cg: called without its context");
    const int64_t size = call->theta != NULL ? call->theta->rows : call->matrix_size;
    const int64_t per_item = size / context->inputs->n;
    int64_t first = 0, count = 0;
    grid_own_block(context->inputs->n, grid->size, grid->rank, &first, &count);
    if (call->theta != NULL) {
        NTK_TRY(cg_stored_create(grid, (ntk_dmatrix *)call->theta, 0, first * per_item,
                                 count * per_item, &s->stored));
        *op = &s->stored.op;
    } else {
        *op = &((cg_matrix_free *)call->apply_context)->op;
    }
    const int64_t own = (*op)->own_rows, rhs = call->right_hand_sides;
    ntk_status status = NTK_CALLOC(s->b, (own > 0 ? own : 1) * rhs, "cg right-hand sides");
    if (status == NTK_OK)
        status = cg_state_create(own, (int)rhs, spec->max_iterations, &s->state);
    NTK_TRY(ntk_agree(status, grid->comm));
    for (int64_t c = 0; c < rhs; ++c)
        for (int64_t i = 0; i < own; ++i)
            s->b[c * own + i] = call->b[((*op)->first_row + i) * rhs + c];

    ntk_phase_begin("cg preconditioner");
    NTK_TRY(cg_preconditioner_build(*op, (cg_preconditioner_kind)spec->preconditioner,
                                    cg_preconditioner_rank_for(spec, size), call->shift,
                                    context->seed, rhs, spec->preconditioner_power,
                                    &s->preconditioner));
    char path[NTK_PATH_MAX];
    NTK_TRY(checkpoint_path(context, grid->comm, path));
    int resumed = 0;
    NTK_TRY(cg_checkpoint_load(path, grid->comm, context->job_hash, size, &s->state, &resumed));
    if (resumed)
        ntk_log("cg: resuming from %s at iteration %lld", path, (long long)s->state.iteration);
    ntk_phase_begin("cg iterations");
    const double now = MPI_Wtime();
    hook_state hook = {grid->comm, path, context->job_hash, size,
                       context->checkpoint->every_seconds, now, now, now,
                       s->state.iteration, spec->tol};
    const cg_options options = {spec->tol, spec->max_iterations, call->shift, after_iteration,
                                &hook};
    cg_result result;
    NTK_TRY(cg_solve(*op, &s->preconditioner, &options, s->b, resumed, &s->state, &result));
    log_progress(&hook, &s->state);

    status = NTK_OK;
    if (grid->rank == 0) {
        status = cg_write_csv(context->output_dir, &s->state);
        if (status == NTK_OK && context->plot)
            status = cg_write_svg(context->output_dir, "ntkgram", &s->state, spec->tol);
    }
    NTK_TRY(ntk_agree(status, grid->comm));
    ntk_linear_report *report = call->report;
    report->iterations = result.iterations;
    report->relative_residual = result.final_residual;
    report->preconditioner_rank = s->preconditioner.rank;
    report->iteration_seconds = result.iteration_seconds;
    report->product_seconds =
        (*op)->apply_calls > 0 ? (*op)->apply_seconds / (double)(*op)->apply_calls : NAN;
    snprintf(report->detail, sizeof report->detail,
             "%s operator, preconditioner %s of rank %lld, %lld iterations, relative residual "
             "%.3g",
             (*op)->name, ntk_choice_name(&predict_preconditioner_names, (int)spec->preconditioner),
             (long long)s->preconditioner.rank, (long long)result.iterations,
             result.final_residual);
    if (!result.converged) {
        char where[NTK_PATH_MAX + 64];
        job_location_text(&spec->solver_where, where, sizeof where);
        return NTK_RAISE(NTK_ERR_NUMERIC,
                         "%s: predict.solver cg did not converge: relative residual %.3g after "
                         "predict.max_iterations %lld, above predict.tol %g (%s has the "
                         "history; raise predict.max_iterations, predict.preconditioner_rank or "
                         "predict.ridge)",
                         where, result.final_residual, (long long)spec->max_iterations, spec->tol,
                         OUTPUT_FILE_CG_CSV);
    }
    NTK_TRY(gather_solution(call, &s->state, (*op)->first_row, size));
    ntk_log("cg: converged in %lld iterations (%lld residual replacements), relative residual "
            "%.3g, %.3g s; %.3g s per iteration, %.3g s per product of Theta",
            (long long)result.iterations, (long long)s->state.restarts, result.final_residual,
            result.seconds, report->iteration_seconds, report->product_seconds);
    /* The answer is complete: its checkpoint has served. */
    if (grid->rank == 0)
        remove(path);
    return NTK_OK;
}

static ntk_status cg_solve_call(const linear_call *call)
{
    solve_state s;
    memset(&s, 0, sizeof s);
    cg_operator *op = NULL;
    ntk_status status = solve_with(call, &s, &op);
    cg_state_free(&s.state);
    cg_preconditioner_free(&s.preconditioner);
    free(s.b);
    return status;
}

const ntk_linear_solver_ops predict_cg_ops = {
    .id = NTK_LINEAR_CG,
    .name = "cg",
    .family = "cg",
    .capabilities = LINEAR_ASSEMBLED | LINEAR_MATRIX_FREE | LINEAR_SEVERAL_RHS |
                    LINEAR_NEEDS_SPD | LINEAR_ITERATIVE,
    .unfit = cg_unfit,
    .workspace = cg_workspace,
    .flops = cg_flops,
    .solve = cg_solve_call,
    .residual_limit = 1e-8,
    .alternative = "cholesky or eigen",
};
