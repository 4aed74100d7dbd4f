/* predict.ensemble (predict.h, predict_ensemble): the mean and per-point
 * variance over random initialisations of the infinite-width network
 * trained by gradient flow to time t, from the analytic NTK Theta and NNGP
 * kernel K (neural-tangents' predict.gradient_descent_mse_ensemble; f_0 has
 * mean 0 and covariance K). With G(t) = V diag(g_i) V^T,
 * g_i = (1 - exp(-a lambda_i)) / lambda_i, a = eta t / (N k), and at
 * t = infinity G = (Theta + ridge I)^-1 (the linear solver's):
 *   mean(t)    = Theta_*X G y
 *   A          = G Theta_*X^T                           (N x N_test)
 *   var(t)_l   = K_ll + A_l^T K A_l - 2 A_l^T K_*X[l, :]^T
 * the diagonal of neural-tangents' covariance. With
 * predict.ensemble_kernel: nngp, the GP posterior at t = infinity:
 *   mean = K_*X (K + ridge I)^-1 y,  var_l = K_ll - K_*X[l] (K + ridge I)^-1 K_*X[l]^T.
 * Both solve for [y | Theta_*X^T] (k + N_test right-hand sides) at once.
 * The small matrices are replicated on every rank; K A is one distributed
 * product. The variance is that of every output channel (the kernel is
 * Theta (x) I over the k outputs). */
#include "predict/predict.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "kernel/analytic.h"

void predict_ensemble_free(ntk_ensemble *ensemble)
{
    free(ensemble->mean);
    free(ensemble->variance);
    memset(ensemble, 0, sizeof *ensemble);
}

/* A distributed matrix replicated on every rank, row-major. Collective. */
static ntk_status gather_matrix(const ntk_grid *grid, const ntk_dmatrix *a, double *out)
{
    memset(out, 0, sizeof(double) * (size_t)(a->rows * a->cols));
    const int64_t lld = a->local_rows > 1 ? a->local_rows : 1;
    for (int64_t j = 0; j < a->local_cols; ++j) {
        const int64_t gj = grid_global_index(j, grid->block, grid->mycol, grid->cols);
        for (int64_t i = 0; i < a->local_rows; ++i) {
            const int64_t gi = grid_global_index(i, grid->block, grid->myrow, grid->rows);
            out[gi * a->cols + gj] = a->data[j * lld + i];
        }
    }
    return predict_allreduce_sum(out, a->rows * a->cols, grid->comm);
}

/* K(x, x) of every test input: each rank its own block, then gathered. */
static ntk_status test_nngp_diagonal(const ntk_ensemble_inputs *e, double *diagonal)
{
    const ntk_input_block *test = e->test;
    double *own = NULL;
    NTK_TRY(ntk_agree(NTK_CALLOC(own, test->count + 1, "the test NNGP diagonal"), e->grid->comm));
    for (int64_t i = 0; i < test->count; ++i)
        analytic_pair(e->config->kernel.model, test->dim, e->config->kernel.kernel->quadrature_order,
                      test->x + i * test->dim, test->x + i * test->dim, NULL, &own[i]);
    ntk_status status =
        predict_gather_rows(own, test->count, test->n, 1, e->grid->comm, diagonal);
    free(own);
    return status;
}

/* X = G(t) B for one slice: the eigenpairs at finite t; the linear solver
 * (on Theta, or on K for the GP posterior) at t = infinity. */
static ntk_status apply_slice(const ntk_ensemble_inputs *e, double step, int64_t rhs,
                              const double *b, double *x, ntk_linear_report *report)
{
    const ntk_predict_spec *spec = e->in->spec;
    const ntk_spectrum *spectrum = e->operands->spectrum;
    const int gp = spec->ensemble_kernel == NTK_ENSEMBLE_NNGP;
    if (isinf(step) && (gp || e->operands->linear->id != NTK_LINEAR_EIGEN)) {
        linear_call call = {.spec = spec,
                            .grid = e->grid,
                            .theta = gp ? e->nngp : e->operands->theta,
                            .scale = 1.0,
                            .right_hand_sides = rhs,
                            .b = b,
                            .x = x,
                            .report = report};
        const ntk_linear_solver_ops *ops =
            gp ? linear_solver_find(NTK_LINEAR_CHOLESKY) : e->operands->linear;
        return linear_solve(ops, &call);
    }
    const int64_t M = spectrum->n_pairs;
    double *h = NULL;
    NTK_TRY(ntk_agree(NTK_CALLOC(h, M + 1, "ensemble mode weights"), e->grid->comm));
    const double lambda_max = M > 0 ? spectrum->values[0] : 0.0;
    const double a = e->in->learning_rate * step / ((double)e->in->n_train * (double)e->in->k);
    for (int64_t i = 0; i < M; ++i) {
        const double lambda = spectrum->values[i];
        if (lambda > spec->cutoff * lambda_max && lambda > 0.0)
            h[i] = isinf(step) ? 1.0 / (lambda + spec->ridge) : -expm1(-a * lambda) / lambda;
    }
    ntk_status status = predict_eigen_filter(e->grid, spectrum, h, rhs, b, x);
    free(h);
    return status;
}

typedef struct {
    double *cross, *cross_nngp, *diagonal, *b, *x, *a, *ka, *b_local, *ab_local;
} ensemble_work;

static void work_free(ensemble_work *w)
{
    free(w->cross);
    free(w->cross_nngp);
    free(w->diagonal);
    free(w->b);
    free(w->x);
    free(w->a);
    free(w->ka);
    free(w->b_local);
    free(w->ab_local);
}

static ntk_status work_allocate(const ntk_ensemble_inputs *e, int64_t rhs, ensemble_work *w)
{
    const int64_t M = e->in->n_train, T = e->in->n_test;
    ntk_status status = NTK_CALLOC(w->cross, T * M + 1, "ensemble cross kernel");
    if (status == NTK_OK)
        status = NTK_CALLOC(w->cross_nngp, T * M + 1, "ensemble cross kernel");
    if (status == NTK_OK)
        status = NTK_CALLOC(w->diagonal, T + 1, "ensemble test variances");
    if (status == NTK_OK)
        status = NTK_CALLOC(w->b, M * rhs + 1, "ensemble right-hand sides");
    if (status == NTK_OK)
        status = NTK_CALLOC(w->x, M * rhs + 1, "ensemble solutions");
    if (status == NTK_OK)
        status = NTK_CALLOC(w->a, M * T + 1, "ensemble solutions");
    if (status == NTK_OK)
        status = NTK_CALLOC(w->ka, M * T + 1, "ensemble products");
    if (status == NTK_OK)
        status = NTK_CALLOC(w->b_local, e->nngp->local_cols * T + 1, "ensemble products");
    if (status == NTK_OK)
        status = NTK_CALLOC(w->ab_local, e->nngp->local_rows * T + 1, "ensemble products");
    return ntk_agree(status, e->grid->comm);
}

/* One slice's mean and variance from X = G [y | L^T], L the cross kernel
 * the solve used (Theta_*X, or K_*X for the GP posterior). */
static ntk_status slice_moments(const ntk_ensemble_inputs *e, int64_t rhs, ensemble_work *w,
                                double *mean, double *variance)
{
    const int64_t M = e->in->n_train, T = e->in->n_test;
    const int k = e->in->k;
    const int gp = e->in->spec->ensemble_kernel == NTK_ENSEMBLE_NNGP;
    const double *left = gp ? w->cross_nngp : w->cross;
    for (int64_t l = 0; l < T; ++l)
        for (int c = 0; c < k; ++c) {
            double sum = 0.0;
            for (int64_t i = 0; i < M; ++i)
                sum += left[l * M + i] * w->x[i * rhs + c];
            mean[l * k + c] = sum;
        }
    if (gp) {
        for (int64_t l = 0; l < T; ++l) {
            double sum = 0.0;
            for (int64_t i = 0; i < M; ++i)
                sum += w->cross_nngp[l * M + i] * w->x[i * rhs + k + l];
            variance[l] = w->diagonal[l] - sum;
        }
        return NTK_OK;
    }
    for (int64_t i = 0; i < M; ++i)
        memcpy(w->a + i * T, w->x + i * rhs + k, sizeof(double) * (size_t)T);
    memset(w->ka, 0, sizeof(double) * (size_t)(M * T));
    NTK_TRY(predict_times_replicated(e->grid, e->nngp, w->a, T, w->b_local, w->ab_local, w->ka));
    for (int64_t l = 0; l < T; ++l) {
        double quadratic = 0.0, cross = 0.0;
        for (int64_t i = 0; i < M; ++i) {
            quadratic += w->a[i * T + l] * w->ka[i * T + l];
            cross += w->a[i * T + l] * w->cross_nngp[l * M + i];
        }
        variance[l] = w->diagonal[l] + quadratic - 2.0 * cross;
    }
    return NTK_OK;
}

ntk_status predict_ensemble(const ntk_ensemble_inputs *e, ntk_ensemble *out)
{
    memset(out, 0, sizeof *out);
    const ntk_predict_spec *spec = e->in->spec;
    const int64_t M = e->in->n_train, T = e->in->n_test;
    const int k = e->in->k;
    const int64_t rhs = k + T;
    const int gp = spec->ensemble_kernel == NTK_ENSEMBLE_NNGP;
    const int eigen = e->operands->linear->id == NTK_LINEAR_EIGEN;
    out->slices = gp || !eigen ? 1 : spec->n_steps + (spec->infinite ? 1 : 0);
    out->n_test = T;
    out->k = k;
    ensemble_work w;
    memset(&w, 0, sizeof w);
    ntk_status status = NTK_CALLOC(out->mean, (int64_t)out->slices * T * k + 1, "ensemble mean");
    if (status == NTK_OK)
        status = NTK_CALLOC(out->variance, (int64_t)out->slices * T + 1, "ensemble variance");
    NTK_TRY_GOTO(status, ntk_agree(status, e->grid->comm), done);
    NTK_TRY_GOTO(status, work_allocate(e, rhs, &w), done);
    NTK_TRY_GOTO(status, gather_matrix(e->grid, e->cross, w.cross), done);
    NTK_TRY_GOTO(status, gather_matrix(e->grid, e->cross_nngp, w.cross_nngp), done);
    NTK_TRY_GOTO(status, test_nngp_diagonal(e, w.diagonal), done);

    /* B = [y | L^T]: y = -(f_0 - y) with the analytic f_0 = 0. */
    const double *left = gp ? w.cross_nngp : w.cross;
    for (int64_t i = 0; i < M; ++i) {
        for (int c = 0; c < k; ++c)
            w.b[i * rhs + c] = -e->in->train_residual[i * k + c];
        for (int64_t l = 0; l < T; ++l)
            w.b[i * rhs + k + l] = left[l * M + i];
    }
    for (int s = 0; s < out->slices; ++s) {
        const int finite = !gp && eigen && s < spec->n_steps;
        const double step = finite ? (double)spec->steps[s] : INFINITY;
        ntk_linear_report report;
        memset(&report, 0, sizeof report);
        NTK_TRY_GOTO(status, apply_slice(e, step, rhs, w.b, w.x, &report), done);
        if (report.solver != NULL)
            ntk_log("predict.ensemble: %s%s on %lld right-hand sides: backward error %.3g%s",
                    report.solver, gp ? " on the NNGP kernel" : "", (long long)rhs,
                    report.residual, report.jitter > 0.0 ? " (with jitter)" : "");
        NTK_TRY_GOTO(status,
                     slice_moments(e, rhs, &w, out->mean + (int64_t)s * T * k,
                                   out->variance + (int64_t)s * T),
                     done);
    }
done:
    work_free(&w);
    if (status != NTK_OK)
        predict_ensemble_free(out);
    return status;
}
