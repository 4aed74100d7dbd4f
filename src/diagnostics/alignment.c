/* Kernel-target alignment on the distributed Theta (see diagnostics.h).
 *
 * <Theta, Y Y^T>_F = sum_ij Theta_ij (y_i . y_j) needs only Theta's entries
 * and the rows of Y, which every rank holds; ||Y Y^T||_F = ||Y^T Y||_F is a
 * channels x channels product. The centred form uses H^2 = H:
 * <H Theta H, H Y Y^T H> = <Theta, Yc Yc^T> with Yc = H Y (columns centred),
 * and (H Theta H)_ij = Theta_ij - r_i - r_j + m with r the row means and m
 * the grand mean, so its norm is a second pass after one allreduce of the
 * row sums. Every sum runs over the lower triangle, off-diagonal entries
 * counted twice. Theta is multiplied by a power of two near its largest
 * entry before squaring (exact), so neither a tiny nor a huge Theta
 * underflows or overflows; the ratios do not change. */
#include "diagnostics/diagnostics.h"
#include "diagnostics/local_index.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { DESC_LLD = 8 };

/* ||A^T A||_F for the rows x channels row-major A. */
static double gram_frobenius(const double *a, int64_t rows, int channels)
{
    double sum = 0.0;
    for (int p = 0; p < channels; ++p)
        for (int q = 0; q < channels; ++q) {
            double entry = 0.0;
            for (int64_t i = 0; i < rows; ++i)
                entry += a[i * channels + p] * a[i * channels + q];
            sum += entry * entry;
        }
    return sqrt(sum);
}

static double row_dot(const double *a, int64_t i, int64_t j, int channels)
{
    double sum = 0.0;
    for (int c = 0; c < channels; ++c)
        sum += a[i * channels + c] * a[j * channels + c];
    return sum;
}

/* The largest |entry| of the lower triangle over all ranks. */
static ntk_status largest_entry(const ntk_grid *grid, const ntk_dmatrix *theta,
                                const int64_t *rows, double *largest)
{
    const int64_t lld = theta->desc[DESC_LLD];
    double local = 0.0;
    for (int64_t lj = 0; lj < theta->local_cols; ++lj) {
        const int64_t j = grid_global_index(lj, grid->block, grid->mycol, grid->cols);
        const int64_t start = diagnostics_first_row_at_least(rows, theta->local_rows, j);
        for (int64_t li = start; li < theta->local_rows; ++li) {
            const double value = fabs(theta->data[lj * lld + li]);
            if (value > local)
                local = value;
        }
    }
    NTK_MPI(MPI_Allreduce(&local, largest, 1, MPI_DOUBLE, MPI_MAX, grid->comm));
    return NTK_OK;
}

ntk_status diagnostics_alignment(const ntk_grid *grid, const ntk_dmatrix *theta,
                                 const double *targets, int channels, ntk_alignment *result)
{
    result->alignment = NAN;
    result->centered_alignment = NAN;
    const int64_t m = theta->rows;
    if (theta->cols != m || channels < 1 || m < 1)
        return NTK_RAISE(NTK_ERR_INTERNAL, "alignment: Theta is %lld x %lld, %d channels",
                         (long long)m, (long long)theta->cols, channels);
    double *centred = NULL, *row_sums = NULL, *local_sums = NULL;
    int64_t *rows = NULL;
    ntk_status status = diagnostics_global_rows(grid, theta, &rows);
    if (status == NTK_OK)
        status = NTK_CALLOC(centred, m * channels, "the centred targets");
    if (status == NTK_OK)
        status = NTK_CALLOC(row_sums, m, "Theta's row sums");
    if (status == NTK_OK)
        status = NTK_CALLOC(local_sums, m, "Theta's local row sums");
    status = ntk_agree(status, grid->comm);
    double largest = 0.0;
    if (status == NTK_OK)
        status = largest_entry(grid, theta, rows, &largest);
    if (status != NTK_OK)
        goto done;

    for (int c = 0; c < channels; ++c) {
        double mean = 0.0;
        for (int64_t i = 0; i < m; ++i)
            mean += targets[i * channels + c];
        mean /= (double)m;
        for (int64_t i = 0; i < m; ++i)
            centred[i * channels + c] = targets[i * channels + c] - mean;
    }

    /* Pass 1: <Theta, Y Y^T>, <Theta, Yc Yc^T>, ||Theta||^2, row sums. */
    const double scale = 1.0 / spectrum_check_unit(largest);
    const int64_t lld = theta->desc[DESC_LLD];
    double local[3] = {0.0, 0.0, 0.0}, total[3];
    for (int64_t lj = 0; lj < theta->local_cols; ++lj) {
        const int64_t j = grid_global_index(lj, grid->block, grid->mycol, grid->cols);
        const int64_t start = diagnostics_first_row_at_least(rows, theta->local_rows, j);
        for (int64_t li = start; li < theta->local_rows; ++li) {
            const int64_t i = rows[li];
            const double value = theta->data[lj * lld + li] * scale;
            const double weight = i == j ? 1.0 : 2.0;
            local[0] += weight * value * row_dot(targets, i, j, channels);
            local[1] += weight * value * row_dot(centred, i, j, channels);
            local[2] += weight * value * value;
            local_sums[i] += value;
            if (i != j)
                local_sums[j] += value;
        }
    }
    NTK_MPI_GOTO(status, MPI_Allreduce(local, total, 3, MPI_DOUBLE, MPI_SUM, grid->comm), done);
    /* M doubles in int-sized slices */
    for (int64_t start = 0; start < m; start += INT32_MAX / 2) {
        const int count = (int)(m - start < INT32_MAX / 2 ? m - start : INT32_MAX / 2);
        NTK_MPI_GOTO(status, MPI_Allreduce(local_sums + start, row_sums + start, count, MPI_DOUBLE,
                                           MPI_SUM, grid->comm),
                     done);
    }

    /* Pass 2: ||H Theta H||^2 with the row means r and the grand mean. */
    double grand = 0.0;
    for (int64_t i = 0; i < m; ++i) {
        row_sums[i] /= (double)m;
        grand += row_sums[i];
    }
    grand /= (double)m;
    double local_centred = 0.0, centred_norm2 = 0.0;
    for (int64_t lj = 0; lj < theta->local_cols; ++lj) {
        const int64_t j = grid_global_index(lj, grid->block, grid->mycol, grid->cols);
        const int64_t start = diagnostics_first_row_at_least(rows, theta->local_rows, j);
        for (int64_t li = start; li < theta->local_rows; ++li) {
            const int64_t i = rows[li];
            const double value =
                theta->data[lj * lld + li] * scale - row_sums[i] - row_sums[j] + grand;
            local_centred += (i == j ? 1.0 : 2.0) * value * value;
        }
    }
    NTK_MPI_GOTO(status, MPI_Allreduce(&local_centred, &centred_norm2, 1, MPI_DOUBLE, MPI_SUM,
                                       grid->comm),
                 done);

    const double target_norm = gram_frobenius(targets, m, channels);
    const double centred_target_norm = gram_frobenius(centred, m, channels);
    const double theta_norm = sqrt(total[2]), centred_theta_norm = sqrt(centred_norm2);
    if (theta_norm > 0.0 && target_norm > 0.0)
        result->alignment = total[0] / (theta_norm * target_norm);
    if (centred_theta_norm > 0.0 && centred_target_norm > 0.0)
        result->centered_alignment = total[1] / (centred_theta_norm * centred_target_norm);
done:
    free(rows);
    free(local_sums);
    free(row_sums);
    free(centred);
    return status;
}
