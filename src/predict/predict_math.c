/* The predictions of predict.h from the eigenpairs and the cross kernel.
 *
 * With r the training residual (channels c: the k outputs of a trace kernel,
 * or one channel of length N k for a full kernel) and V the eigenvectors:
 *   alpha = V^T r                      (M x channels)
 *   W[i, (s, c)] = -h_i(t_s) alpha[i, c]
 *   U = V W                            (M x slices channels)
 *   P = C U                            (test rows x slices channels)
 *   f_t = f_0(test) + P
 * Each product is a local DGEMM on this rank's block of the distributed
 * matrix, its partial rows added up over all ranks (MPI_Allreduce), so the
 * small matrices alpha, W, U and P end up the same on every rank. The cost is
 * M^2 channels + M^2 S channels + rows(C) M S channels multiply-adds, and
 * nothing of size M x M is ever held by one rank. */
#include "predict/predict.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void predict_free(ntk_predictions *p)
{
    free(p->step);
    free(p->step_exact);
    free(p->values);
    free(p->train_loss);
    free(p->test_loss);
    free(p->test_accuracy);
    memset(p, 0, sizeof *p);
}

ntk_status predict_allreduce_sum(double *values, int64_t count, MPI_Comm comm)
{
    /* In pieces: MPI counts are ints. */
    const int64_t piece = 1 << 28;
    for (int64_t at = 0; at < count; at += piece) {
        int n = (int)(count - at < piece ? count - at : piece);
        NTK_MPI(MPI_Allreduce(MPI_IN_PLACE, values + at, n, MPI_DOUBLE, MPI_SUM, comm));
    }
    return NTK_OK;
}

/* The rows of B at this rank's columns of A go to b_local, one local DGEMM
 * gives this rank's rows of the product in ab_local, which are placed at
 * their global rows and summed over ranks. */
ntk_status predict_times_replicated(const ntk_grid *grid, const ntk_dmatrix *a, const double *b,
                                   int64_t wide, double *b_local, double *ab_local,
                                   double *product)
{
    const int64_t lr = a->local_rows, lc = a->local_cols;
    for (int64_t j = 0; j < lc; ++j) {
        int64_t g = grid_global_index(j, grid->block, grid->mycol, grid->cols);
        memcpy(b_local + j * wide, b + g * wide, (size_t)wide * sizeof(double));
    }
    if (lr > 0 && lc > 0)
        /* ab_local (lr x wide, column-major) = A_loc (lr x lc) * b_local^T-as-stored */
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, (int)lr, (int)wide, (int)lc, 1.0,
                    a->data, (int)(lr > 1 ? lr : 1), b_local, (int)wide, 0.0, ab_local, (int)lr);
    for (int64_t i = 0; i < lr; ++i) {
        int64_t g = grid_global_index(i, grid->block, grid->myrow, grid->rows);
        for (int64_t w = 0; w < wide; ++w)
            product[g * wide + w] = ab_local[w * lr + i];
    }
    return predict_allreduce_sum(product, a->rows * wide, grid->comm);
}

/* kernel.precision float32: the eigenvectors are floats. V's local columns
 * [j0, j1) as doubles in `panel` (lr x FLOAT32_PANEL), for the same DGEMMs
 * as float64's a panel of columns at a time (no float64 copy of V). */
enum { FLOAT32_PANEL = 256 };

static void float32_panel(const ntk_smatrix *v, int64_t j0, int64_t j1, double *panel)
{
    const int64_t lr = v->local_rows, lld = v->desc[8];
    for (int64_t j = j0; j < j1; ++j)
        for (int64_t i = 0; i < lr; ++i)
            panel[(j - j0) * lr + i] = (double)v->data[j * lld + i];
}

/* alpha_local (lc x channels, column-major) = V_loc^T r_local, and
 * u_local (lr x wide) = V_loc w_local^T, from float32 eigenvectors. */
static void float32_project(const ntk_smatrix *v, const double *r_local, int64_t channels,
                            double *alpha_local, double *panel)
{
    const int64_t lr = v->local_rows, lc = v->local_cols;
    for (int64_t j0 = 0; j0 < lc; j0 += FLOAT32_PANEL) {
        const int64_t j1 = j0 + FLOAT32_PANEL < lc ? j0 + FLOAT32_PANEL : lc;
        float32_panel(v, j0, j1, panel);
        cblas_dgemm(CblasColMajor, CblasTrans, CblasTrans, (int)(j1 - j0), (int)channels, (int)lr,
                    1.0, panel, (int)lr, r_local, (int)channels, 0.0, alpha_local + j0, (int)lc);
    }
}

static ntk_status float32_times_replicated(const ntk_grid *grid, const ntk_smatrix *v,
                                           const double *b, int64_t wide, double *b_local,
                                           double *ab_local, double *panel, double *product)
{
    const int64_t lr = v->local_rows, lc = v->local_cols;
    for (int64_t j = 0; j < lc; ++j) {
        int64_t g = grid_global_index(j, grid->block, grid->mycol, grid->cols);
        memcpy(b_local + j * wide, b + g * wide, (size_t)wide * sizeof(double));
    }
    memset(ab_local, 0, (size_t)(lr * wide) * sizeof(double));
    for (int64_t j0 = 0; lr > 0 && j0 < lc; j0 += FLOAT32_PANEL) {
        const int64_t j1 = j0 + FLOAT32_PANEL < lc ? j0 + FLOAT32_PANEL : lc;
        float32_panel(v, j0, j1, panel);
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, (int)lr, (int)wide, (int)(j1 - j0),
                    1.0, panel, (int)lr, b_local + j0 * wide, (int)wide, 1.0, ab_local, (int)lr);
    }
    for (int64_t i = 0; i < lr; ++i) {
        int64_t g = grid_global_index(i, grid->block, grid->myrow, grid->rows);
        for (int64_t w = 0; w < wide; ++w)
            product[g * wide + w] = ab_local[w * lr + i];
    }
    return predict_allreduce_sum(product, v->rows * wide, grid->comm);
}

/* The mode weight h_i(t) of predict.h. */
static double mode_weight(double lambda, double rate_scale, double step, double ridge, int kept)
{
    if (!kept)
        return 0.0;
    if (isinf(step))
        return 1.0 / (lambda + ridge);
    double a = rate_scale * step; /* eta t / (N k) */
    /* (1 - exp(-a lambda)) / lambda without cancellation for small a lambda. */
    return -expm1(-a * lambda) / lambda;
}

double predict_accuracy(const double *predicted, const double *targets, int64_t n, int k)
{
    if (n < 1)
        return NAN;
    int64_t correct = 0;
    if (k == 1) {
        for (int64_t x = 0; x < n; ++x) {
            if (targets[x] != 1.0 && targets[x] != -1.0)
                return NAN;
            correct += (predicted[x] > 0.0) == (targets[x] > 0.0);
        }
        return (double)correct / (double)n;
    }
    for (int64_t x = 0; x < n; ++x) {
        const double *y = targets + x * k, *f = predicted + x * k;
        int best = 0, guess = 0;
        for (int o = 1; o < k; ++o) {
            if (y[o] > y[best])
                best = o;
            if (f[o] > f[guess])
                guess = o;
        }
        /* One largest entry, all others equal: a class. */
        double other = y[best == 0 ? 1 : 0];
        for (int o = 0; o < k; ++o)
            if (o != best && y[o] != other)
                return NAN;
        if (other == y[best])
            return NAN;
        correct += guess == best;
    }
    return (double)correct / (double)n;
}

static ntk_status predictions_allocate(const ntk_predict_inputs *in, ntk_predictions *out)
{
    memset(out, 0, sizeof *out);
    out->slices = in->spec->n_steps + (in->spec->infinite ? 1 : 0);
    out->n_test = in->n_test;
    out->k = in->k;
    NTK_TRY(NTK_CALLOC(out->step, out->slices, "prediction steps"));
    NTK_TRY(NTK_CALLOC(out->step_exact, out->slices, "prediction steps"));
    NTK_TRY(NTK_CALLOC(out->values, (int64_t)out->slices * in->n_test * in->k + 1, "predictions"));
    NTK_TRY(NTK_CALLOC(out->train_loss, out->slices, "prediction losses"));
    NTK_TRY(NTK_CALLOC(out->test_loss, out->slices, "prediction losses"));
    NTK_TRY(NTK_CALLOC(out->test_accuracy, out->slices, "prediction losses"));
    for (int s = 0; s < in->spec->n_steps; ++s) {
        out->step[s] = (double)in->spec->steps[s];
        out->step_exact[s] = in->spec->steps[s];
    }
    if (in->spec->infinite)
        out->step[out->slices - 1] = INFINITY;
    return NTK_OK;
}

/* f_t = f_0 + P, as slices x N_test x k, from P (test rows x wide, wide =
 * slices channels); then the test losses. */
static void fill_slices(const ntk_predict_inputs *in, const double *p, int64_t wide,
                        int64_t channels, int64_t slices, ntk_predictions *out)
{
    const int k = in->k;
    for (int64_t s = 0; s < slices; ++s) {
        double *slice = out->values + s * in->n_test * k;
        for (int64_t x = 0; x < in->n_test; ++x)
            for (int o = 0; o < k; ++o) {
                double delta = in->full ? p[(x * k + o) * wide + s] : p[x * wide + s * channels + o];
                slice[x * k + o] = in->test_f0[x * k + o] + delta;
            }
        out->test_loss[s] = NAN;
        out->test_accuracy[s] = NAN;
        if (in->test_targets != NULL) {
            double sum = 0.0;
            for (int64_t e = 0; e < in->n_test * k; ++e) {
                double d = slice[e] - in->test_targets[e];
                sum += d * d;
            }
            out->test_loss[s] = sum / (2.0 * (double)in->n_test * (double)k);
            out->test_accuracy[s] = predict_accuracy(slice, in->test_targets, in->n_test, k);
        }
    }
}

ntk_status predict_compute(const ntk_predict_inputs *in, const ntk_spectrum *spectrum,
                           const ntk_grid *grid, const ntk_dmatrix *cross,
                           ntk_predictions *out)
{
    const int64_t M = in->full ? in->n_train * in->k : in->n_train;
    const int64_t channels = in->full ? 1 : in->k;
    const ntk_dmatrix *V = &spectrum->vectors;
    ntk_status status = NTK_OK;
    if (!spectrum->have_vectors || spectrum->n_pairs != M || V->rows != M || V->cols != M ||
        cross->cols != M)
        status = NTK_RAISE(NTK_ERR_INTERNAL,
                           "predict: needs all %lld eigenpairs with vectors and a cross kernel of "
                           "%lld columns (have %lld pairs, %lld columns)",
                           (long long)M, (long long)M, (long long)spectrum->n_pairs,
                           (long long)cross->cols);
    NTK_TRY(ntk_agree(status, grid->comm));

    const int64_t lr = V->local_rows, lc = V->local_cols;
    const int64_t v_lld = lr > 1 ? lr : 1;
    const int64_t cr = cross->local_rows, cc = cross->local_cols;
    const int64_t test_rows = cross->rows;
    double *r_local = NULL, *alpha = NULL, *alpha_local = NULL, *weights = NULL, *w_local = NULL;
    double *u = NULL, *u_local = NULL, *p = NULL, *panel = NULL;
    int64_t slices = 0, wide = 0;

    status = predictions_allocate(in, out);
    slices = out->slices;
    wide = slices * channels;
    if (status == NTK_OK)
        status = NTK_CALLOC(r_local, lr * channels + 1, "predict residual rows");
    if (status == NTK_OK)
        status = NTK_CALLOC(alpha, M * channels + 1, "predict projections");
    if (status == NTK_OK)
        status = NTK_CALLOC(alpha_local, lc * channels + 1, "predict projections");
    if (status == NTK_OK)
        status = NTK_CALLOC(weights, M * wide + 1, "predict mode weights");
    if (status == NTK_OK)
        status = NTK_CALLOC(w_local, (lc > cc ? lc : cc) * wide + 1, "predict mode weights");
    if (status == NTK_OK)
        status = NTK_CALLOC(u, M * wide + 1, "predict training-space coefficients");
    if (status == NTK_OK)
        status = NTK_CALLOC(u_local, (lr > 0 ? lr : 1) * wide + (cr > 0 ? cr : 1) * wide,
                            "predict partial products");
    if (status == NTK_OK)
        status = NTK_CALLOC(p, test_rows * wide + 1, "predict test-space values");
    const ntk_smatrix *single = spectrum->single_precision ? &spectrum->vectors_single : NULL;
    if (status == NTK_OK && single != NULL)
        status = NTK_CALLOC(panel, (lr > 0 ? lr : 1) * FLOAT32_PANEL, "predict eigenvector panel");
    NTK_TRY_GOTO(status, ntk_agree(status, grid->comm), done);

    /* alpha = V^T r: the local rows of r, one local DGEMM, scattered by the
     * eigenvector index of each local column and summed over ranks. */
    for (int64_t i = 0; i < lr; ++i) {
        int64_t g = grid_global_index(i, grid->block, grid->myrow, grid->rows);
        memcpy(r_local + i * channels, in->train_residual + g * channels,
               (size_t)channels * sizeof(double));
    }
    if (lr > 0 && lc > 0 && single != NULL)
        float32_project(single, r_local, channels, alpha_local, panel);
    else if (lr > 0 && lc > 0)
        /* alpha_local (lc x channels, column-major, ld lc) = V_loc^T r_loc */
        cblas_dgemm(CblasColMajor, CblasTrans, CblasTrans, (int)lc, (int)channels, (int)lr, 1.0,
                    V->data, (int)v_lld, r_local, (int)channels, 0.0, alpha_local, (int)(lc > 0 ? lc : 1));
    for (int64_t j = 0; j < lc; ++j) {
        int64_t g = grid_global_index(j, grid->block, grid->mycol, grid->cols);
        for (int64_t c = 0; c < channels; ++c)
            alpha[g * channels + c] = alpha_local[c * lc + j];
    }
    NTK_TRY_GOTO(status, predict_allreduce_sum(alpha, M * channels, grid->comm), done);

    /* W[i, (s, c)] = -h_i(t_s) alpha[i, c]; the losses on the training set
     * from the same weights (residual factor 1 - lambda_i h_i per mode). */
    const double lambda_max = spectrum->n_pairs > 0 ? spectrum->values[0] : 0.0;
    const double rate_scale = in->learning_rate / ((double)in->n_train * (double)in->k);
    /* kernel.precision float32: also every mode at or below the eigenvalues'
     * error bound (eigenvalue_floor, 0 otherwise) is left out */
    const double floor = spectrum->eigenvalue_floor;
    int64_t used = 0;
    for (int64_t i = 0; i < M; ++i)
        used += spectrum->values[i] > in->spec->cutoff * lambda_max && spectrum->values[i] > 0.0 &&
                spectrum->values[i] > floor;
    out->modes_used = used;
    for (int64_t s = 0; s < slices; ++s) {
        double loss = 0.0;
        for (int64_t i = 0; i < M; ++i) {
            double lambda = spectrum->values[i];
            int kept = lambda > in->spec->cutoff * lambda_max && lambda > 0.0 && lambda > floor;
            double h = mode_weight(lambda, rate_scale, out->step[s], in->spec->ridge, kept);
            double factor = 1.0 - lambda * h, energy = 0.0;
            for (int64_t c = 0; c < channels; ++c) {
                weights[i * wide + s * channels + c] = -h * alpha[i * channels + c];
                energy += alpha[i * channels + c] * alpha[i * channels + c];
            }
            loss += factor * factor * energy;
        }
        out->train_loss[s] = loss / (2.0 * (double)in->n_train * (double)in->k);
    }

    /* U = V W. */
    if (single != NULL)
        NTK_TRY_GOTO(status, float32_times_replicated(grid, single, weights, wide, w_local, u_local,
                                                      panel, u), done);
    else
        NTK_TRY_GOTO(status, predict_times_replicated(grid, V, weights, wide, w_local, u_local, u),
                     done);

    /* P = C U (the cross kernel's columns are the training indices,
     * distributed as Theta's columns). */
    NTK_TRY_GOTO(status, predict_times_replicated(grid, cross, u, wide, w_local, u_local, p), done);

    fill_slices(in, p, wide, channels, slices, out);

done:
    free(r_local);
    free(alpha);
    free(alpha_local);
    free(weights);
    free(w_local);
    free(u);
    free(u_local);
    free(p);
    free(panel);
    if (status != NTK_OK)
        predict_free(out);
    return status;
}

ntk_status predict_compute_solved(const ntk_predict_inputs *in, const ntk_grid *grid,
                                  const ntk_dmatrix *cross, const double *solution, double shift,
                                  ntk_predictions *out)
{
    const int64_t M = in->full ? in->n_train * in->k : in->n_train;
    const int64_t channels = in->full ? 1 : in->k;
    ntk_predict_spec infinity_only = *in->spec;
    infinity_only.n_steps = 0;
    infinity_only.infinite = 1;
    ntk_predict_inputs one = *in;
    one.spec = &infinity_only;
    double *u = NULL, *b_local = NULL, *ab_local = NULL, *p = NULL;
    ntk_status status = predictions_allocate(&one, out);
    if (status == NTK_OK)
        status = NTK_CALLOC(u, M * channels + 1, "predict training-space coefficients");
    if (status == NTK_OK)
        status = NTK_CALLOC(b_local, cross->local_cols * channels + 1, "predict partial products");
    if (status == NTK_OK)
        status = NTK_CALLOC(ab_local, cross->local_rows * channels + 1, "predict partial products");
    if (status == NTK_OK)
        status = NTK_CALLOC(p, cross->rows * channels + 1, "predict test-space values");
    NTK_TRY_GOTO(status, ntk_agree(status, grid->comm), done);
    /* U = -X (r = f_0 - y); on the training set f_inf - y = r - Theta X =
     * shift X for an exact solve. */
    double loss = 0.0;
    for (int64_t e = 0; e < M * channels; ++e) {
        u[e] = -solution[e];
        loss += shift * shift * solution[e] * solution[e];
    }
    out->train_loss[0] = loss / (2.0 * (double)in->n_train * (double)in->k);
    out->modes_used = -1;
    NTK_TRY_GOTO(status,
                 predict_times_replicated(grid, cross, u, channels, b_local, ab_local, p), done);
    fill_slices(&one, p, channels, channels, 1, out);
done:
    free(u);
    free(b_local);
    free(ab_local);
    free(p);
    if (status != NTK_OK)
        predict_free(out);
    return status;
}
