/* predict.solver eigen: (Theta + shift I) X = B through every eigenpair,
 * X = V diag(h) V^T B with h_i = 1 / (lambda_i + shift) for the modes kept
 * by predict.cutoff (0 for the others, as predict.h's t = infinity). The
 * predictions at finite t come from the same eigenpairs (predict_math.c).
 * Its answer is the pseudo-inverse's on the kept modes, not an exact solve
 * when modes are cut: the eigenpairs were checked by the spectrum module,
 * and the service reports the backward error without refusing it. */
#include "predict/linear_solver.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "predict/predict.h"

static const char *eigen_unfit(const linear_request *request)
{
    if (!request->spectrum_has_vectors)
        return "it needs every eigenpair with its eigenvector, which this run does not compute "
               "(spectrum.solver none or matrix_free, spectrum.vectors: false or spectrum.top > 0)";
    return NULL;
}

static void eigen_workspace(const linear_request *request, ntk_linear_workspace *workspace)
{
    /* V^T B, its local columns and the product, replicated */
    workspace->vector_bytes = 8.0 * 3.0 * (double)request->matrix_size *
                              (double)request->right_hand_sides;
}

static double eigen_flops(const linear_request *request)
{
    const double m = (double)request->matrix_size;
    return 4.0 * m * m * (double)request->right_hand_sides;
}

ntk_status predict_eigen_filter(const ntk_grid *grid, const ntk_spectrum *spectrum,
                                const double *h, int64_t rhs, const double *b, double *x)
{
    const ntk_dmatrix *V = &spectrum->vectors;
    const int64_t M = V->rows;
    const int64_t lr = V->local_rows, lc = V->local_cols;
    ntk_status status = NTK_OK;
    if (!spectrum->have_vectors || spectrum->n_pairs != M || V->cols != M)
        status = NTK_RAISE(NTK_ERR_INTERNAL, "predict: needs all %lld eigenpairs with vectors",
                           (long long)M);
    NTK_TRY(ntk_agree(status, grid->comm));
    double *b_local = NULL, *alpha_local = NULL, *alpha = NULL, *ab_local = NULL;
    status = NTK_CALLOC(b_local, (lr > lc ? lr : lc) * rhs + 1, "eigen solve");
    if (status == NTK_OK)
        status = NTK_CALLOC(alpha_local, lc * rhs + 1, "eigen solve");
    if (status == NTK_OK)
        status = NTK_CALLOC(alpha, M * rhs + 1, "eigen solve");
    if (status == NTK_OK)
        status = NTK_CALLOC(ab_local, lr * rhs + 1, "eigen solve");
    NTK_TRY_GOTO(status, ntk_agree(status, grid->comm), done);

    /* alpha = V^T B: this rank's rows of B, a local DGEMM, summed. */
    for (int64_t i = 0; i < lr; ++i) {
        int64_t g = grid_global_index(i, grid->block, grid->myrow, grid->rows);
        memcpy(b_local + i * rhs, b + g * rhs, (size_t)rhs * sizeof(double));
    }
    if (lr > 0 && lc > 0)
        cblas_dgemm(CblasColMajor, CblasTrans, CblasTrans, (int)lc, (int)rhs, (int)lr, 1.0,
                    V->data, (int)(lr > 1 ? lr : 1), b_local, (int)rhs, 0.0, alpha_local,
                    (int)(lc > 0 ? lc : 1));
    for (int64_t j = 0; j < lc; ++j) {
        int64_t g = grid_global_index(j, grid->block, grid->mycol, grid->cols);
        for (int64_t c = 0; c < rhs; ++c)
            alpha[g * rhs + c] = alpha_local[c * lc + j];
    }
    NTK_TRY_GOTO(status, predict_allreduce_sum(alpha, M * rhs, grid->comm), done);
    for (int64_t i = 0; i < M; ++i)
        for (int64_t c = 0; c < rhs; ++c)
            alpha[i * rhs + c] *= h[i];
    memset(x, 0, sizeof(double) * (size_t)(M * rhs));
    NTK_TRY_GOTO(status, predict_times_replicated(grid, V, alpha, rhs, b_local, ab_local, x),
                 done);
done:
    free(b_local);
    free(alpha_local);
    free(alpha);
    free(ab_local);
    return status;
}

static ntk_status eigen_solve(const linear_call *call)
{
    const ntk_spectrum *spectrum = call->spectrum;
    ntk_status status = spectrum == NULL ? NTK_RAISE(NTK_ERR_INTERNAL,
                                                     "predict.solver eigen: no eigenpairs")
                                         : NTK_OK;
    NTK_TRY(ntk_agree(status, call->grid->comm));
    const int64_t M = spectrum->n_pairs;
    double *h = NULL;
    NTK_TRY(ntk_agree(NTK_CALLOC(h, M + 1, "eigen solve"), call->grid->comm));
    const double lambda_max = M > 0 ? spectrum->values[0] : 0.0;
    for (int64_t i = 0; i < M; ++i) {
        const double lambda = spectrum->values[i];
        const int kept = lambda > call->spec->cutoff * lambda_max && lambda > 0.0;
        h[i] = kept ? 1.0 / (lambda + call->shift) : 0.0;
    }
    status = predict_eigen_filter(call->grid, spectrum, h, call->right_hand_sides, call->b,
                                  call->x);
    free(h);
    NTK_TRY(status);
    snprintf(call->report->detail, sizeof call->report->detail,
             "through the %lld eigenpairs (V diag(1/(lambda + ridge)) V^T)", (long long)M);
    return NTK_OK;
}

const ntk_linear_solver_ops predict_eigen_ops = {
    .id = NTK_LINEAR_EIGEN,
    .name = "eigen",
    .family = "eigen",
    .capabilities = LINEAR_ASSEMBLED | LINEAR_SEVERAL_RHS | LINEAR_NEEDS_SPECTRUM |
                    LINEAR_FINITE_TIME,
    .unfit = eigen_unfit,
    .workspace = eigen_workspace,
    .flops = eigen_flops,
    .solve = eigen_solve,
    .residual_limit = INFINITY,
    .alternative = "cholesky",
};
