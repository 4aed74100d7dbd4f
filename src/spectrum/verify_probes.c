/* The eigenpair check by random probes (see spectrum.h; the argument is in
 * docs/design.md, "Checking the eigenpairs").
 *
 * Why: the exact check (verify.c) costs 2 M^2 m flops, as much as a large
 * part of the solve when all m = M pairs are kept (docs/design.md,
 * "Checking the eigenpairs", has the measured share). With R = Theta V - V Lambda
 * (column i the residual r_i of pair i) and p standard Gaussian vectors
 * c_k, ||R c_k|| costs one product with Theta per probe: 2 M^2 p + 4 M m p
 * flops in all.
 *
 * Why it is not blind: for the worst pair j and u = r_j / ||r_j||,
 * u^T R c_k is Gaussian with variance sum_i (u^T r_i)^2 >= ||r_j||^2, so
 * P(||R c_k|| < delta ||r_j||) <= P(|g| < delta) <= delta sqrt(2/pi) for one
 * probe, and the largest of p independent probes stays below
 * delta max_j ||r_j|| with probability at most (delta sqrt(2/pi))^p: with
 * p = 4, a pair 100 times above the limit passes with probability 4e-9.
 * From above, E ||R c||^2 = ||R||_F^2 <= m max_j ||r_j||^2, so correct pairs
 * (max_j ||r_j|| / ||Theta|| about 1e-15) give about sqrt(m) 1e-15. We do
 * not divide by ||c|| (about sqrt(m)): that would estimate the mean pair
 * residual, which a single bad pair among many moves by a factor sqrt(m)
 * less than the limit needs. The same argument with E = V^T V - I in place
 * of R bounds the loss of orthogonality (a repeated eigenvector has a zero
 * residual but E != 0).
 *
 * The probes are a pure function of (pair, probe) (core/random.h): the same
 * on every rank count and grid, and in every run. */
#include "spectrum/spectrum.h"

#include <math.h>
#include <stdlib.h>

#include "core/random.h"
#include "grid/scalapack.h"

enum { DESC_LLD = 8 };
enum { PROBE_SEED = 20250612, PROBE_STREAM = 0x7072 /* "pr" */ };

double spectrum_probe_entry(int64_t pair, int probe)
{
    return ntk_random_normal(PROBE_SEED, PROBE_STREAM, ((uint64_t)probe << 40) | (uint64_t)pair);
}

/* `c` (m x p) holds the probes, each row i times `scale_by[i]` when that is
 * not NULL (Lambda C). */
static void fill_probes(const ntk_grid *grid, const double *scale_by, ntk_dmatrix *c)
{
    const int64_t lld = c->desc[DESC_LLD];
    for (int64_t lc = 0; lc < c->local_cols; ++lc) {
        const int probe = (int)grid_global_index(lc, grid->block, grid->mycol, grid->cols);
        for (int64_t lr = 0; lr < c->local_rows; ++lr) {
            const int64_t pair = grid_global_index(lr, grid->block, grid->myrow, grid->rows);
            const double factor = scale_by != NULL ? scale_by[pair] : 1.0;
            c->data[lr + lc * lld] = factor * spectrum_probe_entry(pair, probe);
        }
    }
}

/* The largest column norm of `d` times `inverse_unit` (a power of two,
 * spectrum_check_unit); NaN stays NaN. Collective. */
static ntk_status largest_column_norm(const ntk_grid *grid, const ntk_dmatrix *d, int probes,
                                      double inverse_unit, double *largest)
{
    double norm2[SPECTRUM_CHECK_MAX_PROBES] = {0};
    const int64_t lld = d->desc[DESC_LLD];
    for (int64_t lc = 0; lc < d->local_cols; ++lc) {
        const int64_t column = grid_global_index(lc, grid->block, grid->mycol, grid->cols);
        double sum = 0.0;
        for (int64_t lr = 0; lr < d->local_rows; ++lr) {
            const double entry = d->data[lr + lc * lld] * inverse_unit;
            sum += entry * entry;
        }
        norm2[column] += sum;
    }
    NTK_MPI(MPI_Allreduce(MPI_IN_PLACE, norm2, probes, MPI_DOUBLE, MPI_SUM, grid->comm));
    double worst = 0.0;
    for (int k = 0; k < probes; ++k)
        if (!(sqrt(norm2[k]) <= worst)) /* keeps a NaN (fmax would drop it) */
            worst = sqrt(norm2[k]);
    *largest = worst;
    return NTK_OK;
}

static ntk_status check_pblas(const ntk_grid *grid, const char *call)
{
    return ntk_agree(grid_check_scalapack(call, 0), grid->comm);
}

/* The products, once the scratch exists: Y = V C; G = V^T Y - C;
 * W = (-Theta) Y + V (Lambda C) = -R C. */
static ntk_status probe_products(const ntk_grid *grid, const char *uplo,
                                 const ntk_dmatrix *minus_theta,
                                 const ntk_dmatrix *vectors, int probes, double unit,
                                 ntk_dmatrix *c, ntk_dmatrix *lambda_c, ntk_dmatrix *y,
                                 ntk_dmatrix *w, double *residual, double *orthogonality)
{
    const int n = (int)vectors->rows, m = (int)vectors->cols, p = probes, one = 1;
    const double plus = 1.0, minus = -1.0, zero = 0.0;
    pdgemm_("N", "N", &n, &p, &m, &plus, vectors->data, &one, &one, vectors->desc, c->data, &one,
            &one, c->desc, &zero, y->data, &one, &one, y->desc, 1, 1);
    NTK_TRY(check_pblas(grid, "pdgemm (V C, eigenpair probes)"));
    /* C becomes V^T (V C) - C: its columns are (V^T V - I) c_k. */
    pdgemm_("T", "N", &m, &p, &n, &plus, vectors->data, &one, &one, vectors->desc, y->data, &one,
            &one, y->desc, &minus, c->data, &one, &one, c->desc, 1, 1);
    NTK_TRY(check_pblas(grid, "pdgemm (V^T V C, orthogonality probes)"));
    NTK_TRY(largest_column_norm(grid, c, probes, 1.0, orthogonality));
    if (residual == NULL)
        return NTK_OK;
    pdsymm_("L", uplo, &n, &p, &plus, minus_theta->data, &one, &one, minus_theta->desc, y->data,
            &one, &one, y->desc, &zero, w->data, &one, &one, w->desc, 1, 1);
    NTK_TRY(check_pblas(grid, "pdsymm (Theta V C, eigenpair probes)"));
    pdgemm_("N", "N", &n, &p, &m, &plus, vectors->data, &one, &one, vectors->desc,
            lambda_c->data, &one, &one, lambda_c->desc, &plus, w->data, &one, &one, w->desc, 1, 1);
    NTK_TRY(check_pblas(grid, "pdgemm (V Lambda C, eigenpair probes)"));
    /* in units of `unit`: the residuals of a matrix near the underflow or
     * overflow threshold squared */
    return largest_column_norm(grid, w, probes, 1.0 / unit, residual);
}

ntk_status spectrum_probe_eigenpairs(const ntk_grid *grid, const char *uplo,
                                     const ntk_dmatrix *minus_theta,
                                     const ntk_dmatrix *vectors, const double *values, int probes,
                                     double *residual, double *orthogonality)
{
    if (probes < 1 || probes > SPECTRUM_CHECK_MAX_PROBES)
        return NTK_RAISE(NTK_ERR_INTERNAL, "eigenpair probes: %d, not 1..%d", probes,
                         SPECTRUM_CHECK_MAX_PROBES);
    const int64_t n = vectors->rows, m = vectors->cols;
    double scale = 0.0;
    for (int64_t i = 0; residual != NULL && i < m; ++i)
        scale = fmax(scale, fabs(values[i]));
    const double unit = spectrum_check_unit(scale);
    ntk_dmatrix c = {0}, lambda_c = {0}, y = {0}, w = {0};
    ntk_status status = dmatrix_create(grid, m, probes, &c);
    if (status == NTK_OK)
        status = dmatrix_create(grid, n, probes, &y);
    if (status == NTK_OK && residual != NULL)
        status = dmatrix_create(grid, m, probes, &lambda_c);
    if (status == NTK_OK && residual != NULL)
        status = dmatrix_create(grid, n, probes, &w);
    status = ntk_agree(status, grid->comm);
    if (status == NTK_OK) {
        fill_probes(grid, NULL, &c);
        if (residual != NULL)
            fill_probes(grid, values, &lambda_c);
        status = probe_products(grid, uplo, minus_theta, vectors, probes, unit, &c, &lambda_c,
                                &y, &w, residual, orthogonality);
    }
    dmatrix_destroy(&w);
    dmatrix_destroy(&y);
    dmatrix_destroy(&lambda_c);
    dmatrix_destroy(&c);
    NTK_TRY(status);
    /* A zero matrix has zero residuals: report them absolute, as verify.c. */
    if (residual != NULL && scale > 0.0)
        *residual /= scale / unit;
    return NTK_OK;
}
