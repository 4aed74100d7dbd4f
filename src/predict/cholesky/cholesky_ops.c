/* predict.solver cholesky: (Theta + shift I) X = B by ScaLAPACK's pdpotrf
 * (the lower triangle of a scaled copy: Theta stays whole for the residual
 * check and whoever reads it next) and pdpotrs with all right-hand sides at
 * once; t = infinity only. A failing pivot j leaves there the Schur
 * complement's diagonal entry d <= 0 of the leading j x j block, and
 * lambda_min(Theta + shift I) <= d (d is 1 / (B^-1)_jj for that block B), so
 * -d is a lower bound on the extra ridge needed: the suggestion adds a
 * margin above the factorisation's own error (100 M eps max diag) to it.
 * "Positive definite to working precision": a factor whose smallest pivot
 * L_jj^2 is below M eps of the scaled matrix (largest diagonal 1) came from
 * a matrix singular within rounding (duplicated inputs, say), and its X
 * would be noise: refused the same way, naming that pivot. */
#include "predict/linear_solver.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lapack.h"
#include "predict/predict.h"

static const char *cholesky_unfit(const linear_request *request)
{
    const ntk_predict_spec *spec = request->spec;
    if (!request->theta_assembled)
        return "it factors the assembled Theta, which this run does not assemble "
               "(spectrum.solver matrix_free, or Theta above the memory per rank)";
    if (spec->steps_given && spec->n_steps > 0)
        return "it gives t = infinity only, but predict.steps asks for finite t (leave "
               "predict.steps out, or use eigen)";
    if (!spec->infinite)
        return "it gives t = infinity only, but predict.infinite is false";
    if (request->matrix_size > INT_MAX)
        return "M is above ScaLAPACK's 32-bit sizes";
    return NULL;
}

static double local_matrix_bytes(const linear_request *request, int64_t cols)
{
    const int64_t rows = grid_local_count(request->matrix_size, request->block, 0,
                                          request->grid_rows);
    const int64_t local_cols = grid_local_count(cols, request->block, 0, request->grid_cols);
    return 8.0 * (double)rows * (double)local_cols;
}

static void cholesky_workspace(const linear_request *request, ntk_linear_workspace *workspace)
{
    const double theta = local_matrix_bytes(request, request->matrix_size);
    workspace->theta_copy_bytes = request->theta_kept ? 0.0 : theta;
    workspace->matrix_bytes = theta; /* the factor */
    workspace->vector_bytes = local_matrix_bytes(request, request->right_hand_sides) +
                              8.0 * (double)request->matrix_size *
                                  (double)request->right_hand_sides;
}

static double cholesky_flops(const linear_request *request)
{
    const double m = (double)request->matrix_size;
    return m * m * m / 3.0 + 2.0 * m * m * (double)request->right_hand_sides;
}

/* The smallest L_jj^2 and its 0-based index j, on every rank. */
static ntk_status smallest_pivot(const ntk_grid *grid, const ntk_dmatrix *factor, double *value,
                                 int64_t *index)
{
    struct {
        double value;
        int index;
    } local = {INFINITY, 0}, best;
    const int64_t lld = factor->local_rows > 1 ? factor->local_rows : 1;
    for (int64_t j = 0; j < factor->local_cols; ++j) {
        const int64_t g = grid_global_index(j, grid->block, grid->mycol, grid->cols);
        const int64_t i = linear_local_row(grid, g);
        if (i < 0)
            continue;
        const double l = factor->data[j * lld + i];
        if (l * l < local.value) {
            local.value = l * l;
            local.index = (int)g;
        }
    }
    NTK_MPI(MPI_Allreduce(&local, &best, 1, MPI_DOUBLE_INT, MPI_MINLOC, grid->comm));
    *value = best.value;
    *index = best.index;
    return NTK_OK;
}

/* The entry (g, g) of a distributed matrix, on every rank. */
static ntk_status diagonal_entry(const ntk_grid *grid, const ntk_dmatrix *a, int64_t g,
                                 double *value)
{
    double local = 0.0;
    const int owner_row = (int)((g / grid->block) % grid->rows);
    const int owner_col = (int)((g / grid->block) % grid->cols);
    if (grid->myrow == owner_row && grid->mycol == owner_col) {
        const int64_t li = (g / ((int64_t)grid->block * grid->rows)) * grid->block + g % grid->block;
        const int64_t lj = (g / ((int64_t)grid->block * grid->cols)) * grid->block + g % grid->block;
        local = a->data[lj * (a->local_rows > 1 ? a->local_rows : 1) + li];
    }
    NTK_MPI(MPI_Allreduce(&local, value, 1, MPI_DOUBLE, MPI_SUM, grid->comm));
    return NTK_OK;
}

static ntk_status cholesky_solve(const linear_call *call)
{
    const ntk_grid *grid = call->grid;
    const ntk_dmatrix *theta = call->theta;
    const int64_t M = theta->rows, rhs = call->right_hand_sides;
    const double s = call->scale;
    ntk_dmatrix factor, b;
    memset(&factor, 0, sizeof factor);
    memset(&b, 0, sizeof b);
    ntk_status status = dmatrix_create(grid, M, M, &factor);
    if (status == NTK_OK)
        status = dmatrix_create(grid, M, rhs, &b);
    NTK_TRY_GOTO(status, ntk_agree(status, grid->comm), done);

    /* s (Theta + shift I) and s B. */
    const int64_t lr = theta->local_rows, lc = theta->local_cols;
    const int64_t lld = lr > 1 ? lr : 1;
    for (int64_t e = 0; e < lr * lc; ++e)
        factor.data[e] = s * theta->data[e];
    for (int64_t j = 0; j < lc; ++j) {
        const int64_t i = linear_local_row(
            grid, grid_global_index(j, grid->block, grid->mycol, grid->cols));
        if (i >= 0)
            factor.data[j * lld + i] += s * call->shift;
    }
    const int64_t b_lld = b.local_rows > 1 ? b.local_rows : 1;
    for (int64_t j = 0; j < b.local_cols; ++j) {
        const int64_t c = grid_global_index(j, grid->block, grid->mycol, grid->cols);
        for (int64_t i = 0; i < b.local_rows; ++i) {
            const int64_t g = grid_global_index(i, grid->block, grid->myrow, grid->rows);
            b.data[j * b_lld + i] = s * call->b[g * rhs + c];
        }
    }

    const int n = (int)M, nrhs = (int)rhs, one = 1;
    int info = 0;
    pdpotrf_("L", &n, factor.data, &one, &one, factor.desc, &info, 1);
    if (info < 0) {
        status = NTK_RAISE(NTK_ERR_INTERNAL, "pdpotrf: argument %d had an illegal value", -info);
        goto done;
    }
    if (info > 0) {
        /* INFO is the same on every rank (ScaLAPACK broadcasts it). */
        double d = 0.0;
        NTK_TRY_GOTO(status, diagonal_entry(grid, &factor, info - 1, &d), done);
        const double needed = isfinite(d) && d < 0.0 ? -d / s : 0.0;
        call->report->failing_pivot = info;
        call->report->suggested_ridge = needed + 100.0 * (double)M * DBL_EPSILON / s;
        status = NTK_RAISE(NTK_ERR_NUMERIC, "pdpotrf: pivot %d is not positive", info);
        goto done;
    }
    double pivot = 0.0;
    int64_t at = 0;
    NTK_TRY_GOTO(status, smallest_pivot(grid, &factor, &pivot, &at), done);
    if (!(pivot > (double)M * DBL_EPSILON)) {
        call->report->failing_pivot = at + 1;
        call->report->suggested_ridge = 100.0 * (double)M * DBL_EPSILON / s;
        status = NTK_RAISE(NTK_ERR_NUMERIC, "pdpotrf: pivot %lld is below working precision",
                           (long long)(at + 1));
        goto done;
    }
    pdpotrs_("L", &n, &nrhs, factor.data, &one, &one, factor.desc, b.data, &one, &one, b.desc,
             &info, 1);
    if (info != 0) {
        status = NTK_RAISE(NTK_ERR_INTERNAL, "pdpotrs: argument %d had an illegal value", -info);
        goto done;
    }
    /* X = (s A)^-1 (s B): this rank's entries to their global places, summed. */
    memset(call->x, 0, sizeof(double) * (size_t)(M * rhs));
    for (int64_t j = 0; j < b.local_cols; ++j) {
        const int64_t c = grid_global_index(j, grid->block, grid->mycol, grid->cols);
        for (int64_t i = 0; i < b.local_rows; ++i) {
            const int64_t g = grid_global_index(i, grid->block, grid->myrow, grid->rows);
            call->x[g * rhs + c] = b.data[j * b_lld + i];
        }
    }
    NTK_TRY_GOTO(status, predict_allreduce_sum(call->x, M * rhs, grid->comm), done);
    snprintf(call->report->detail, sizeof call->report->detail,
             "pdpotrf + pdpotrs, %lld right-hand side%s", (long long)rhs, rhs == 1 ? "" : "s");
done:
    dmatrix_destroy(&factor);
    dmatrix_destroy(&b);
    return status;
}

const ntk_linear_solver_ops predict_cholesky_ops = {
    .id = NTK_LINEAR_CHOLESKY,
    .name = "cholesky",
    .family = "cholesky",
    .capabilities = LINEAR_ASSEMBLED | LINEAR_SEVERAL_RHS | LINEAR_NEEDS_SPD,
    .unfit = cholesky_unfit,
    .workspace = cholesky_workspace,
    .flops = cholesky_flops,
    .solve = cholesky_solve,
    /* a backward-stable factorisation gives about M eps */
    .residual_limit = 1e-8,
    .alternative = "eigen (it drops the modes below predict.cutoff)",
};
