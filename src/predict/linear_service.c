/* The services around a linear solver's call (predict/linear_solver.h):
 * the scaling, the jitter retries of predict.jitter, the backward-error
 * check of the answer and the refusals that name the alternative. */
#include "predict/linear_solver.h"

#include <float.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "predict/predict.h"

/* Largest and summed diagonal of the stored Theta; 0 for matrix-free. */
static ntk_status diagonal_stats(const linear_call *call, int64_t size, double *largest,
                                 double *mean)
{
    double local[2] = {0.0, 0.0}; /* max, sum */
    const ntk_dmatrix *theta = call->theta;
    const ntk_grid *grid = call->grid;
    if (theta != NULL) {
        const int64_t lld = theta->local_rows > 1 ? theta->local_rows : 1;
        for (int64_t j = 0; j < theta->local_cols; ++j) {
            const int64_t i = linear_local_row(
                grid, grid_global_index(j, grid->block, grid->mycol, grid->cols));
            if (i < 0)
                continue;
            const double d = theta->data[j * lld + i];
            local[0] = fmax(local[0], fabs(d));
            local[1] += d;
        }
    }
    double max = 0.0, sum = 0.0;
    NTK_MPI(MPI_Allreduce(&local[0], &max, 1, MPI_DOUBLE, MPI_MAX, grid->comm));
    NTK_MPI(MPI_Allreduce(&local[1], &sum, 1, MPI_DOUBLE, MPI_SUM, grid->comm));
    *largest = max;
    *mean = size > 0 ? sum / (double)size : 0.0;
    return NTK_OK;
}

/* ||Theta + shift I||_F from the local blocks. */
static ntk_status shifted_norm(const linear_call *call, double trace, int64_t size, double *norm)
{
    double local = 0.0, total = 0.0;
    const ntk_dmatrix *theta = call->theta;
    if (theta != NULL)
        for (int64_t e = 0; e < theta->local_rows * theta->local_cols; ++e)
            local += theta->data[e] * theta->data[e];
    NTK_MPI(MPI_Allreduce(&local, &total, 1, MPI_DOUBLE, MPI_SUM, call->grid->comm));
    const double s = call->shift;
    *norm = sqrt(fmax(total + 2.0 * s * trace + (double)size * s * s, 0.0));
    return NTK_OK;
}

/* The backward error of call->x, max over the columns. Collective. */
static ntk_status backward_error(const linear_call *call, int64_t size, double trace,
                                 double *error)
{
    const int64_t rhs = call->right_hand_sides;
    double *product = NULL, *b_local = NULL, *ab_local = NULL;
    ntk_status status = NTK_CALLOC(product, size * rhs + 1, "the residual check");
    if (status == NTK_OK && call->theta != NULL) {
        status = NTK_CALLOC(b_local, call->theta->local_cols * rhs + 1, "the residual check");
        if (status == NTK_OK)
            status = NTK_CALLOC(ab_local, call->theta->local_rows * rhs + 1, "the residual check");
    }
    NTK_TRY_GOTO(status, ntk_agree(status, call->grid->comm), done);
    if (call->theta != NULL) {
        NTK_TRY_GOTO(status,
                     predict_times_replicated(call->grid, call->theta, call->x, rhs, b_local,
                                              ab_local, product),
                     done);
    } else {
        /* apply works on columns: move to column-major and back */
        double *columns = NULL, *out = NULL;
        status = NTK_CALLOC(columns, size * rhs + 1, "the residual check");
        if (status == NTK_OK)
            status = NTK_CALLOC(out, size * rhs + 1, "the residual check");
        status = ntk_agree(status, call->grid->comm);
        if (status == NTK_OK) {
            for (int64_t i = 0; i < size; ++i)
                for (int64_t c = 0; c < rhs; ++c)
                    columns[c * size + i] = call->x[i * rhs + c];
            status = call->apply(call->apply_context, rhs, columns, out);
        }
        if (status == NTK_OK)
            for (int64_t i = 0; i < size; ++i)
                for (int64_t c = 0; c < rhs; ++c)
                    product[i * rhs + c] = out[c * size + i];
        free(columns);
        free(out);
        NTK_TRY_GOTO(status, status, done);
    }
    double norm = 0.0;
    NTK_TRY_GOTO(status, shifted_norm(call, trace, size, &norm), done);
    double worst = 0.0;
    for (int64_t c = 0; c < rhs; ++c) {
        double r2 = 0.0, x2 = 0.0, b2 = 0.0;
        for (int64_t i = 0; i < size; ++i) {
            const double x = call->x[i * rhs + c], b = call->b[i * rhs + c];
            const double r = product[i * rhs + c] + call->shift * x - b;
            r2 += r * r;
            x2 += x * x;
            b2 += b * b;
        }
        const double denominator = norm * sqrt(x2) + sqrt(b2);
        const double e = denominator > 0.0 ? sqrt(r2) / denominator : sqrt(r2);
        worst = isnan(e) || isnan(worst) ? NAN : fmax(worst, e);
    }
    *error = worst;
done:
    free(product);
    free(b_local);
    free(ab_local);
    return status;
}

static ntk_status refuse_not_positive(const ntk_linear_solver_ops *ops, const linear_call *call,
                                      int64_t size)
{
    const ntk_linear_report *report = call->report;
    char where[NTK_PATH_MAX + 64];
    job_location_text(&call->spec->solver_where, where, sizeof where);
    ntk_error_clear();
    return NTK_RAISE(NTK_ERR_NUMERIC,
                     "%s: predict.solver %s: Theta + ridge I (ridge %g%s) is not positive "
                     "definite to working precision: pivot %lld of %lld failed; a predict.ridge "
                     "of at least %.3g (estimated from that pivot) should make it so, or set "
                     "predict.jitter: auto, or use predict.solver %s",
                     where, ops->name, call->spec->ridge,
                     report->jitter > 0.0 ? " plus jitter" : "", (long long)report->failing_pivot,
                     (long long)size, report->suggested_ridge,
                     ops->alternative != NULL ? ops->alternative : "eigen");
}

/* One call of the solver with the shift ridge + jitter. */
static ntk_status attempt(const ntk_linear_solver_ops *ops, linear_call *call, double jitter)
{
    call->report->jitter = jitter;
    call->report->failing_pivot = 0;
    call->report->suggested_ridge = NAN;
    call->shift = call->spec->ridge + jitter;
    return ops->solve(call);
}

ntk_status linear_solve(const ntk_linear_solver_ops *ops, linear_call *call)
{
    const double start = MPI_Wtime();
    ntk_linear_report *report = call->report;
    const ntk_predict_spec *spec = call->spec;
    const int64_t size = call->theta != NULL ? call->theta->rows
                         : call->spectrum != NULL ? call->spectrum->vectors.rows
                                                  : call->matrix_size;
    report->solver = ops->name;
    report->iterations = 0;
    report->residual = NAN;
    double largest = 0.0, mean = 0.0;
    NTK_TRY(diagonal_stats(call, size, &largest, &mean));
    /* Theta's entries can sit near the ends of the double range; s Theta
     * has largest diagonal 1 (X is unchanged by the scaling). */
    call->scale = largest > 0.0 && isfinite(largest) ? 1.0 / largest : 1.0;

    ntk_status status = attempt(ops, call, 0.0);
    const int pivot_failed = status == NTK_ERR_NUMERIC && report->failing_pivot > 0;
    if (pivot_failed && (spec->jitter_auto || spec->jitter > 0.0)) {
        /* predict.jitter: the number given, once; auto: from the failing
         * pivot's estimate (at least 1e-12 of the mean diagonal) up by tens
         * until it factors, at most up to the mean diagonal. */
        double jitter = spec->jitter_auto
                            ? fmax(isfinite(report->suggested_ridge) ? report->suggested_ridge : 0.0,
                                   1e-12 * mean)
                            : spec->jitter;
        for (int tries = 0; status == NTK_ERR_NUMERIC && report->failing_pivot > 0; ++tries) {
            if (tries > 0 && (!spec->jitter_auto || jitter * 10.0 > fmax(mean, DBL_MIN)))
                break;
            if (tries > 0)
                jitter *= 10.0;
            ntk_error_clear();
            ntk_log("predict: %s: pivot %lld failed; again with jitter %.3g on the diagonal",
                    ops->name, (long long)report->failing_pivot, jitter);
            status = attempt(ops, call, jitter);
        }
    }
    if (status == NTK_ERR_NUMERIC && report->failing_pivot > 0)
        return refuse_not_positive(ops, call, size);
    NTK_TRY(status);

    NTK_TRY(backward_error(call, size, mean * (double)size, &report->residual));
    report->seconds = MPI_Wtime() - start;
    /* An iterative solver stops at predict.tol relative residual, and the
     * backward error is at most that (its denominator has ||Y||). */
    const double limit = (ops->capabilities & LINEAR_ITERATIVE) != 0
                              ? fmax(ops->residual_limit, 2.0 * spec->tol)
                              : ops->residual_limit;
    if (!(report->residual <= limit)) {
        char where[NTK_PATH_MAX + 64];
        job_location_text(&spec->solver_where, where, sizeof where);
        return NTK_RAISE(NTK_ERR_NUMERIC,
                         "%s: predict.solver %s: the answer's backward error ||(Theta + ridge I) "
                         "X - Y|| / (||Theta + ridge I|| ||X|| + ||Y||) is %.3g, above %.0e: "
                         "Theta + ridge I is too ill-conditioned for it; raise predict.ridge or "
                         "use predict.solver %s",
                         where, ops->name, report->residual, limit,
                         ops->alternative != NULL ? ops->alternative : "eigen");
    }
    if (report->jitter > 0.0)
        ntk_log("predict: %s used jitter %.3g on the diagonal besides predict.ridge %g",
                ops->name, report->jitter, spec->ridge);
    return NTK_OK;
}
