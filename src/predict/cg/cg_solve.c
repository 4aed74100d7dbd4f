/* The recurrences of cg.h: preconditioned CG, one per channel, the
 * products of all active channels done together.
 *
 * The recurrence residual r drifts from the true b - (Theta + ridge) x by
 * rounding, so a channel whose recurrence residual reaches the tolerance is
 * checked with one product against the true residual; when that is above
 * the tolerance the channel restarts from its x with the true residual
 * (residual replacement) and goes on. The answer is therefore never declared
 * converged on the recurrence alone. */
#include "predict/cg/cg.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

ntk_status cg_state_create(int64_t own_rows, int channels, int64_t max_iterations,
                           cg_state *state)
{
    memset(state, 0, sizeof *state);
    state->own_rows = own_rows;
    state->channels = channels;
    state->history_capacity = max_iterations + 1;
    const int64_t block = (own_rows > 0 ? own_rows : 1) * channels;
    ntk_status status = NTK_CALLOC(state->x, block, "cg iterate");
    if (status == NTK_OK)
        status = NTK_CALLOC(state->r, block, "cg residual");
    if (status == NTK_OK)
        status = NTK_CALLOC(state->p, block, "cg direction");
    if (status == NTK_OK)
        status = NTK_CALLOC(state->rho, channels, "cg scalars");
    if (status == NTK_OK)
        status = NTK_CALLOC(state->b_norm, channels, "cg scalars");
    if (status == NTK_OK)
        status = NTK_CALLOC(state->active, channels, "cg flags");
    if (status == NTK_OK)
        status = NTK_CALLOC(state->history, state->history_capacity * channels, "cg history");
    if (status != NTK_OK)
        cg_state_free(state);
    return status;
}

void cg_state_free(cg_state *state)
{
    free(state->x);
    free(state->r);
    free(state->p);
    free(state->rho);
    free(state->b_norm);
    free(state->active);
    free(state->history);
    memset(state, 0, sizeof *state);
}

/* out[c] = sum over all ranks' rows of a_c . b_c for the listed columns. */
static ntk_status column_dots(MPI_Comm comm, int64_t rows, const double *a, const double *b,
                              int channels, double *out)
{
    for (int c = 0; c < channels; ++c) {
        double sum = 0.0;
        if (rows > 0)
            sum = cblas_ddot((int)rows, a + (int64_t)c * rows, 1, b + (int64_t)c * rows, 1);
        out[c] = sum;
    }
    NTK_MPI(MPI_Allreduce(MPI_IN_PLACE, out, channels, MPI_DOUBLE, MPI_SUM, comm));
    return NTK_OK;
}

typedef struct {
    cg_operator *op;
    cg_preconditioner *preconditioner;
    const cg_options *options;
    cg_state *state;
    double *z, *q;          /* own_rows x channels */
    double *packed_in, *packed_out; /* the active columns, packed for one product */
    double *scalar;         /* channels */
    double *rho_new, *r_norm; /* channels */
    int *column;            /* the active columns' channel numbers */
    int *want;              /* channels */
} solver;

/* y_c = (Theta + ridge I) x_c for the channels with want[c], through one
 * block product of the packed columns. Collective (want is the same on
 * every rank). */
static ntk_status product(solver *s, const double *x, const int *want, double *y)
{
    const int64_t rows = s->state->own_rows;
    const int channels = s->state->channels;
    int count = 0;
    for (int c = 0; c < channels; ++c)
        if (want[c]) {
            if (rows > 0)
                memcpy(s->packed_in + (int64_t)count * rows, x + (int64_t)c * rows,
                       sizeof(double) * (size_t)rows);
            s->column[count++] = c;
        }
    if (count == 0)
        return NTK_OK;
    const double start = MPI_Wtime();
    NTK_TRY(s->op->apply(s->op->context, s->packed_in, count, rows > 0 ? rows : 1,
                         s->packed_out));
    s->op->apply_seconds += MPI_Wtime() - start;
    s->op->apply_calls += 1;
    s->op->products += count;
    for (int j = 0; j < count; ++j) {
        const int64_t c = s->column[j];
        for (int64_t i = 0; i < rows; ++i)
            y[c * rows + i] =
                s->packed_out[(int64_t)j * rows + i] + s->options->ridge * x[c * rows + i];
    }
    return NTK_OK;
}

static ntk_status precondition(solver *s, const double *r, double *z)
{
    const int64_t rows = s->state->own_rows;
    const int channels = s->state->channels;
    if (s->preconditioner == NULL || s->preconditioner->rank < 1) {
        if (rows > 0)
            memcpy(z, r, sizeof(double) * (size_t)(rows * channels));
        return NTK_OK;
    }
    return cg_preconditioner_apply(s->preconditioner, s->op->comm, r, channels,
                                   rows > 0 ? rows : 1, z);
}

/* For the channels in `want`: r = b - (Theta + ridge) x, p = z = P^-1 r,
 * rho = r^T z. Returns the relative true residual in s->scalar. */
static ntk_status restart(solver *s, const double *b, const int *want, int from_zero)
{
    cg_state *st = s->state;
    const int64_t rows = st->own_rows;
    if (!from_zero)
        NTK_TRY(product(s, st->x, want, s->q));
    for (int c = 0; c < st->channels; ++c) {
        if (!want[c])
            continue;
        for (int64_t i = 0; i < rows; ++i)
            st->r[(int64_t)c * rows + i] =
                b[(int64_t)c * rows + i] - (from_zero ? 0.0 : s->q[(int64_t)c * rows + i]);
    }
    NTK_TRY(precondition(s, st->r, s->z));
    NTK_TRY(column_dots(s->op->comm, rows, st->r, s->z, st->channels, s->scalar));
    for (int c = 0; c < st->channels; ++c) {
        if (!want[c])
            continue;
        st->rho[c] = s->scalar[c];
        if (rows > 0)
            memcpy(st->p + (int64_t)c * rows, s->z + (int64_t)c * rows,
                   sizeof(double) * (size_t)rows);
    }
    NTK_TRY(column_dots(s->op->comm, rows, st->r, st->r, st->channels, s->scalar));
    for (int c = 0; c < st->channels; ++c)
        s->scalar[c] = st->b_norm[c] > 0.0 ? sqrt(s->scalar[c]) / st->b_norm[c] : 0.0;
    return NTK_OK;
}

/* One iteration on the active channels; their new recurrence residuals
 * go to the history row. */
static ntk_status iterate(solver *s)
{
    cg_state *st = s->state;
    const int64_t rows = st->own_rows;
    const int channels = st->channels;
    double *alpha = s->scalar;
    NTK_TRY(product(s, st->p, st->active, s->q));
    NTK_TRY(column_dots(s->op->comm, rows, st->p, s->q, channels, alpha));
    for (int c = 0; c < channels; ++c) {
        if (!st->active[c])
            continue;
        /* p^T (Theta + ridge) p <= 0: the operator is not positive definite
         * (ridge 0 and Theta singular, or rounding at its floor). */
        if (!(alpha[c] > 0.0) || !isfinite(alpha[c]))
            return NTK_RAISE(NTK_ERR_NUMERIC,
                             "predict.solver cg: p^T (Theta + ridge I) p = %g <= 0 for output %d "
                             "at iteration %lld: Theta + ridge I is not positive definite to "
                             "working precision (set predict.ridge > 0)",
                             alpha[c], c, (long long)st->iteration + 1);
        alpha[c] = st->rho[c] / alpha[c];
        const int64_t at = (int64_t)c * rows;
        for (int64_t i = 0; i < rows; ++i) {
            st->x[at + i] += alpha[c] * st->p[at + i];
            st->r[at + i] -= alpha[c] * s->q[at + i];
        }
    }
    NTK_TRY(precondition(s, st->r, s->z));
    double *rho_new = s->rho_new, *r_norm = s->r_norm;
    NTK_TRY(column_dots(s->op->comm, rows, st->r, s->z, channels, rho_new));
    NTK_TRY(column_dots(s->op->comm, rows, st->r, st->r, channels, r_norm));
    st->iteration += 1;
    double *row = st->history + st->iteration * channels;
    const double *previous = row - channels;
    for (int c = 0; c < channels; ++c) {
        if (!st->active[c]) {
            row[c] = previous[c];
            continue;
        }
        const double beta = rho_new[c] / st->rho[c];
        st->rho[c] = rho_new[c];
        const int64_t at = (int64_t)c * rows;
        for (int64_t i = 0; i < rows; ++i)
            st->p[at + i] = s->z[at + i] + beta * st->p[at + i];
        row[c] = sqrt(r_norm[c]) / st->b_norm[c];
    }
    return NTK_OK;
}

/* Channels whose recurrence residual reached the tolerance: their true
 * residual decides. Those above it restart from x (a residual
 * replacement); the others stop. */
static ntk_status check_converged(solver *s, const double *b)
{
    cg_state *st = s->state;
    const int channels = st->channels;
    int *want = s->want, any = 0;
    const double *row = st->history + st->iteration * channels;
    for (int c = 0; c < channels; ++c) {
        want[c] = st->active[c] && row[c] <= s->options->tolerance;
        any |= want[c];
    }
    if (!any)
        return NTK_OK;
    NTK_TRY(restart(s, b, want, 0));
    double *history_row = st->history + st->iteration * channels;
    for (int c = 0; c < channels; ++c) {
        if (!want[c])
            continue;
        history_row[c] = s->scalar[c];
        if (s->scalar[c] <= s->options->tolerance)
            st->active[c] = 0;
        else
            st->restarts += 1;
    }
    return NTK_OK;
}

static int any_active(const cg_state *state)
{
    for (int c = 0; c < state->channels; ++c)
        if (state->active[c])
            return 1;
    return 0;
}

/* The largest relative true residual over the channels, by one product of
 * every channel. */
static ntk_status true_residual(solver *s, const double *b, double *largest)
{
    cg_state *st = s->state;
    const int64_t rows = st->own_rows;
    int *want = s->want;
    for (int c = 0; c < st->channels; ++c)
        want[c] = 1;
    NTK_TRY(product(s, st->x, want, s->q));
    for (int64_t e = 0; e < rows * st->channels; ++e)
        s->q[e] = b[e] - s->q[e];
    NTK_TRY(column_dots(s->op->comm, rows, s->q, s->q, st->channels, s->scalar));
    *largest = 0.0;
    for (int c = 0; c < st->channels; ++c) {
        double relative = st->b_norm[c] > 0.0 ? sqrt(s->scalar[c]) / st->b_norm[c] : 0.0;
        if (relative > *largest || isnan(relative))
            *largest = relative;
    }
    return NTK_OK;
}

static ntk_status run(solver *s, const double *b, int resumed, cg_result *result)
{
    cg_state *st = s->state;
    const int channels = st->channels;
    const double start = MPI_Wtime();
    if (!resumed) {
        NTK_TRY(column_dots(s->op->comm, st->own_rows, b, b, channels, st->b_norm));
        int *want = s->want;
        for (int c = 0; c < channels; ++c) {
            st->b_norm[c] = sqrt(st->b_norm[c]);
            want[c] = st->b_norm[c] > 0.0;
            st->active[c] = want[c];
        }
        NTK_TRY(restart(s, b, want, 1));
        for (int c = 0; c < channels; ++c)
            st->history[c] = want[c] ? 1.0 : 0.0;
        st->iteration = 0;
        NTK_TRY(check_converged(s, b));
    }
    if (s->options->after_iteration != NULL)
        NTK_TRY(s->options->after_iteration(s->options->context, st));
    /* The iterations' own time: the hook's checkpoints and progress lines
     * are left out, so the mean compares with the product's. */
    double iterating = 0.0;
    const int64_t first_iteration = st->iteration;
    while (any_active(st) && st->iteration < s->options->max_iterations) {
        const double iteration_start = MPI_Wtime();
        NTK_TRY(iterate(s));
        NTK_TRY(check_converged(s, b));
        iterating += MPI_Wtime() - iteration_start;
        if (s->options->after_iteration != NULL)
            NTK_TRY(s->options->after_iteration(s->options->context, st));
    }
    const int64_t done = st->iteration - first_iteration;
    result->iteration_seconds = done > 0 ? iterating / (double)done : NAN;
    result->converged = !any_active(st);
    result->iterations = st->iteration;
    NTK_TRY(true_residual(s, b, &result->final_residual));
    if (result->converged && result->final_residual > s->options->tolerance)
        result->converged = 0;
    result->seconds = MPI_Wtime() - start;
    return NTK_OK;
}

ntk_status cg_solve(cg_operator *op, cg_preconditioner *preconditioner, const cg_options *options,
                    const double *b, int resumed, cg_state *state, cg_result *result)
{
    memset(result, 0, sizeof *result);
    solver s;
    memset(&s, 0, sizeof s);
    s.op = op;
    s.preconditioner = preconditioner;
    s.options = options;
    s.state = state;
    const int64_t block = (state->own_rows > 0 ? state->own_rows : 1) * state->channels;
    ntk_status status = NTK_CALLOC(s.z, block, "cg preconditioned residual");
    if (status == NTK_OK)
        status = NTK_CALLOC(s.q, block, "cg product");
    if (status == NTK_OK)
        status = NTK_CALLOC(s.packed_in, block, "cg product columns");
    if (status == NTK_OK)
        status = NTK_CALLOC(s.packed_out, block, "cg product columns");
    if (status == NTK_OK)
        status = NTK_CALLOC(s.scalar, state->channels, "cg scalars");
    if (status == NTK_OK)
        status = NTK_CALLOC(s.column, state->channels, "cg columns");
    if (status == NTK_OK)
        status = NTK_CALLOC(s.want, state->channels, "cg columns");
    if (status == NTK_OK)
        status = NTK_CALLOC(s.rho_new, state->channels, "cg scalars");
    if (status == NTK_OK)
        status = NTK_CALLOC(s.r_norm, state->channels, "cg scalars");
    status = ntk_agree(status, op->comm);
    if (status == NTK_OK)
        status = run(&s, b, resumed, result);
    free(s.z);
    free(s.q);
    free(s.packed_in);
    free(s.packed_out);
    free(s.scalar);
    free(s.column);
    free(s.want);
    free(s.rho_new);
    free(s.r_norm);
    return status;
}
