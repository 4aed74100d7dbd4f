/* The check of a values-only eigensolve (see spectrum.h and docs/design.md,
 * "Checking the eigenvalues").
 *
 * Without eigenvectors there is no residual. What is cheap and distributed
 * is what the eigenvalues must reproduce of the matrix itself:
 *   the trace          sum_i lambda_i = sum_i Theta_ii;
 *   the Frobenius norm sum_i lambda_i^2 = sum_ij Theta_ij^2;
 *   Rayleigh quotients lambda_M <= x^T Theta x / x^T x <= lambda_1 for the
 *                      unit vectors (the diagonal) and the vector of ones
 *                      (the mean of Theta's entries times M; for a kernel
 *                      with a constant part, as an NTK has, close to
 *                      lambda_1).
 * One pass over the local lower triangle and one allreduce: O(M^2 / P)
 * flops beside the solver's O(M^3). A backward-stable solver's eigenvalues
 * are off by about eps ||Theta|| each, so these identities hold to about M
 * eps ||Theta||; the failures they guard against (ELPA's absolute
 * deflation tolerance, issue 19) move the sums by 1e-8 of lambda_1 or more.
 * Sturm counts would pin single eigenvalues but need an LDL^T factorisation
 * of Theta - sigma I per count (M^3 / 3 flops and a copy of Theta), which
 * no longer is cheap.
 *
 * Entries are multiplied by the inverse of a power of two near the largest
 * before squaring (spectrum_check_unit), so that the check works at any
 * scale. */
#include "spectrum/spectrum.h"

#include <math.h>

enum { DESC_LLD = 8 };
enum { MOMENT_COUNT = 5 }; /* trace, frobenius2, entry sum, and -max, min diagonal */

ntk_status spectrum_matrix_moments(const ntk_grid *grid, const ntk_dmatrix *theta,
                                   double largest, ntk_matrix_moments *moments)
{
    const double unit = spectrum_check_unit(largest), inverse = 1.0 / unit;
    const int64_t lld = theta->desc[DESC_LLD];
    double sums[3] = {0.0, 0.0, 0.0};       /* trace, frobenius2, entry sum */
    double extremes[2] = {-INFINITY, INFINITY}; /* max and min diagonal */
    for (int64_t lc = 0; lc < theta->local_cols; ++lc) {
        const int64_t column = grid_global_index(lc, grid->block, grid->mycol, grid->cols);
        for (int64_t lr = 0; lr < theta->local_rows; ++lr) {
            const int64_t row = grid_global_index(lr, grid->block, grid->myrow, grid->rows);
            if (row < column)
                continue;
            const double entry = theta->data[lr + lc * lld] * inverse;
            if (row == column) {
                sums[0] += entry;
                sums[1] += entry * entry;
                sums[2] += entry;
                extremes[0] = fmax(extremes[0], entry);
                extremes[1] = fmin(extremes[1], entry);
            } else { /* the entry and its mirror */
                sums[1] += 2.0 * entry * entry;
                sums[2] += 2.0 * entry;
            }
        }
    }
    double global[MOMENT_COUNT], local[MOMENT_COUNT] = {sums[0], sums[1], sums[2],
                                                        -extremes[0], extremes[1]};
    NTK_MPI(MPI_Allreduce(local, global, 3, MPI_DOUBLE, MPI_SUM, grid->comm));
    NTK_MPI(MPI_Allreduce(local + 3, global + 3, 2, MPI_DOUBLE, MPI_MIN, grid->comm));
    moments->unit = unit;
    moments->trace = global[0];
    moments->frobenius2 = global[1];
    moments->ones_quotient = global[2] / (double)theta->rows;
    moments->max_diagonal = -global[3];
    moments->min_diagonal = global[4];
    return NTK_OK;
}

double spectrum_values_error(const ntk_matrix_moments *moments, const double *values,
                             int64_t count, int64_t matrix_size)
{
    if (count < 1)
        return 0.0;
    /* values are descending: values[0] the largest, values[count - 1] the
     * smallest computed */
    double top = -INFINITY, bottom = INFINITY, largest = 0.0, sum = 0.0, sum2 = 0.0;
    for (int64_t i = 0; i < count; ++i) {
        const double lambda = values[i] / moments->unit;
        top = fmax(top, lambda);
        bottom = fmin(bottom, lambda);
        largest = fmax(largest, fabs(lambda));
        sum += lambda;
        sum2 += lambda * lambda;
    }
    const double scale = largest > 0.0 ? largest : 1.0;
    /* lambda_1 is at least every Rayleigh quotient */
    const double quotient_high = fmax(moments->max_diagonal, moments->ones_quotient);
    double error = fmax(0.0, quotient_high - top) / scale;
    if (count < matrix_size)
        return error; /* the top k: the sums and lambda_M are not known */
    const double quotient_low = fmin(moments->min_diagonal, moments->ones_quotient);
    error = fmax(error, fmax(0.0, bottom - quotient_low) / scale);
    error = fmax(error, fabs(sum - moments->trace) / scale);
    /* d(sum lambda^2) = 2 sum lambda d lambda <= 2 ||lambda|| ||d lambda||:
     * in the units of the other terms */
    const double norm = sqrt(moments->frobenius2);
    if (norm > 0.0)
        error = fmax(error, fabs(sum2 - moments->frobenius2) / (2.0 * norm * scale));
    if (isnan(sum) || isnan(sum2))
        error = NAN;
    return error;
}
