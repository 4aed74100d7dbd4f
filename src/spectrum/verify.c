/* The residual check of computed eigenpairs (see spectrum.h): exact here,
 * by random probes in verify_probes.c, chosen by spectrum_check_uses_probes.
 *
 * Why this way: a copy of Theta would double the largest allocation of the
 * run. The solvers (UPLO = 'L') destroy only the lower triangle and the
 * diagonal; spectrum_solve mirrors Theta before solving and saves the
 * diagonal, so -Theta is still whole in the upper triangle, and PDSYMM with
 * UPLO = 'U' multiplies by it. A check on the vectors alone (orthogonality)
 * would not catch issue 7's defect 1: the wrong vectors there are the
 * tridiagonal matrix's, which are orthonormal.
 *
 * Cost: 2 M^2 m flops at PBLAS-3 speed (m the pairs kept), done one panel
 * of SPECTRUM_CHECK_PANEL_BLOCKS x block x (grid columns) eigenvectors at a
 * time, so the scratch is that many blocks of columns per process. */
#include "spectrum/spectrum.h"

#include <math.h>
#include <stdlib.h>

#include "grid/scalapack.h"

enum { DESC_LLD = 8 };

double spectrum_check_unit(double scale)
{
    if (!(scale > 0.0) || !isfinite(scale))
        return 1.0;
    int exponent = ilogb(scale);
    if (exponent < -1020) /* a subnormal scale: its inverse must stay finite */
        exponent = -1020;
    return ldexp(1.0, exponent);
}

/* Adds ||column j of (A V + V diag(values))||^2 / unit^2 for the panel's
 * local columns to norm2[j - first] (`inverse_unit`: a power of two, see
 * spectrum_check_unit). */
static void panel_norms(const ntk_grid *grid, const ntk_dmatrix *product,
                        const ntk_dmatrix *vectors, const double *values, int64_t first,
                        double inverse_unit, double *norm2)
{
    const int64_t product_lld = product->desc[DESC_LLD], vector_lld = vectors->desc[DESC_LLD];
    /* `first` is a multiple of block x grid columns, so panel column c and
     * eigenvector column first + c live on the same process column, at local
     * columns lc and first_local + lc. */
    const int64_t first_local = first / ((int64_t)grid->block * grid->cols) * grid->block;
    for (int64_t lc = 0; lc < product->local_cols; ++lc) {
        const int64_t column = grid_global_index(lc, grid->block, grid->mycol, grid->cols);
        const double lambda = values[first + column];
        const double *w = product->data + lc * product_lld;
        const double *v = vectors->data + (first_local + lc) * vector_lld;
        double sum = 0.0;
        for (int64_t lr = 0; lr < product->local_rows; ++lr) {
            /* ((-Theta) v + lambda v) / unit */
            const double r = (w[lr] + lambda * v[lr]) * inverse_unit;
            sum += r * r;
        }
        norm2[column] += sum;
    }
}

/* spectrum_max_relative_residual with -Theta whole in the `uplo` triangle. */
static ntk_status exact_residual(const ntk_grid *grid, const char *uplo,
                                 const ntk_dmatrix *minus_theta, const ntk_dmatrix *vectors,
                                 const double *values, double *max_relative)
{
    const int64_t n = minus_theta->rows, m = vectors->cols;
    /* Every PDSYMM call moves panels of all of -Theta, so fewer, wider
     * calls are faster: SPECTRUM_CHECK_PANEL_BLOCKS blocks per process
     * column (measured in docs/design.md, "Checking the eigenpairs"). */
    const int64_t panel = (int64_t)grid->block * grid->cols * SPECTRUM_CHECK_PANEL_BLOCKS;
    double scale = 0.0;
    for (int64_t i = 0; i < m; ++i)
        scale = fmax(scale, fabs(values[i]));
    const double unit = spectrum_check_unit(scale);

    ntk_dmatrix product;
    double *norm2 = NULL;
    ntk_status status = dmatrix_create(grid, n, panel < m ? panel : m, &product);
    if (status == NTK_OK)
        status = NTK_CALLOC(norm2, panel, "the residual norms");
    status = ntk_agree(status, grid->comm);
    double worst = 0.0;
    for (int64_t first = 0; status == NTK_OK && first < m; first += panel) {
        const int width = (int)(m - first < panel ? m - first : panel);
        const int size = (int)n, one = 1, jv = (int)first + 1;
        const double alpha = 1.0, beta = 0.0;
        /* The last panel may be narrower: describe only its columns. */
        product.desc[3] = width;
        product.local_cols = grid_local_count(width, grid->block, grid->mycol, grid->cols);
        pdsymm_("L", uplo, &size, &width, &alpha, minus_theta->data, &one, &one, minus_theta->desc,
                vectors->data, &one, &jv, vectors->desc, &beta, product.data, &one, &one,
                product.desc, 1, 1);
        status = ntk_agree(grid_check_scalapack("pdsymm (eigenpair residuals)", 0), grid->comm);
        if (status != NTK_OK)
            break;
        for (int j = 0; j < width; ++j)
            norm2[j] = 0.0;
        panel_norms(grid, &product, vectors, values, first, 1.0 / unit, norm2);
        int rc = MPI_Allreduce(MPI_IN_PLACE, norm2, width, MPI_DOUBLE, MPI_SUM, grid->comm);
        if (rc != MPI_SUCCESS) {
            status = ntk_raise_mpi(rc, "MPI_Allreduce(residual norms)", __FILE__, __LINE__);
            break;
        }
        for (int j = 0; j < width; ++j)
            if (!(sqrt(norm2[j]) <= worst)) /* keeps a NaN (fmax would drop it) */
                worst = sqrt(norm2[j]);
    }
    free(norm2);
    dmatrix_destroy(&product);
    if (status != NTK_OK)
        return NTK_FRAME(status);
    /* `worst` is in units of `unit`. A zero matrix has zero residuals:
     * report them absolute. NaN (a broken vector) stays NaN and fails the
     * caller's comparison. */
    *max_relative = scale > 0.0 ? worst / (scale / unit) : worst;
    return NTK_OK;
}

ntk_status spectrum_max_relative_residual(const ntk_grid *grid, const ntk_dmatrix *minus_theta,
                                          const ntk_dmatrix *vectors, const double *values,
                                          double *max_relative)
{
    NTK_TRY(exact_residual(grid, "U", minus_theta, vectors, values, max_relative));
    return NTK_OK;
}

int spectrum_check_uses_probes(int64_t matrix_size, int64_t pairs)
{
    return pairs > SPECTRUM_CHECK_EXACT_PAIRS && SPECTRUM_CHECK_EXACT_DIVISOR * pairs > matrix_size;
}

ntk_status spectrum_check_eigenpairs(const ntk_grid *grid, const char *uplo,
                                     const ntk_dmatrix *minus_theta, const ntk_dmatrix *vectors,
                                     const double *values, ntk_eigenpair_check *check)
{
    check->orthogonality = NAN;
    check->residual = NAN;
    if (spectrum_check_uses_probes(vectors->rows, vectors->cols)) {
        check->method = "probes";
        check->probes = SPECTRUM_CHECK_PROBES;
        NTK_TRY(spectrum_probe_eigenpairs(grid, uplo, minus_theta, vectors, values,
                                          SPECTRUM_CHECK_PROBES, &check->residual,
                                          &check->orthogonality));
        return NTK_OK;
    }
    check->method = "exact";
    check->probes = 0;
    NTK_TRY(exact_residual(grid, uplo, minus_theta, vectors, values, &check->residual));
    /* orthogonality by probes: 4 M m p flops, a fraction of the exact residual's */
    NTK_TRY(spectrum_probe_eigenpairs(grid, uplo, minus_theta, vectors, values,
                                      SPECTRUM_CHECK_PROBES, NULL, &check->orthogonality));
    return NTK_OK;
}
