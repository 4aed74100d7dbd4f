/* Spectral statistics and the cumulative target power of the top modes
 * (see diagnostics.h; definitions in docs/diagnostics.md). */
#include "diagnostics/diagnostics.h"
#include "core/mpi_sum.h"

#include <math.h>
#include <stdlib.h>

enum { DESC_LLD = 8 };

/* The fewest top modes whose eigenvalues sum to `fraction` of the trace;
 * -1 when the computed ones do not reach it. */
static int64_t modes_holding(const double *values, int64_t count, double trace, double fraction)
{
    if (!(trace > 0.0))
        return -1;
    double sum = 0.0;
    for (int64_t i = 0; i < count; ++i) {
        sum += values[i];
        if (sum >= fraction * trace)
            return i + 1;
    }
    return -1;
}

void diagnostics_spectral_statistics(const double *values, int64_t count, double trace,
                                     ntk_spectral_statistics *statistics)
{
    const double lambda_max = count > 0 ? values[0] : 0.0;
    const double lambda_min = count > 0 ? values[count - 1] : 0.0;
    /* p log p -> 0 as p -> 0: eigenvalues <= 0 (rounding of a positive
     * semi-definite Theta) add nothing */
    double entropy = 0.0;
    for (int64_t i = 0; i < count && trace > 0.0; ++i) {
        const double p = values[i] / trace;
        if (p > 0.0)
            entropy -= p * log(p);
    }
    statistics->effective_rank_entropy = trace > 0.0 ? exp(entropy) : NAN;
    statistics->stable_rank = lambda_max > 0.0 ? trace / lambda_max : NAN;
    statistics->condition_number = lambda_min > 0.0 ? lambda_max / lambda_min : INFINITY;
    statistics->modes_90 = modes_holding(values, count, trace, 0.9);
    statistics->modes_99 = modes_holding(values, count, trace, 0.99);
}

ntk_status diagnostics_project_targets(const ntk_grid *grid, const ntk_spectrum *spectrum,
                                       const double *targets, int channels, double *projection)
{
    const ntk_dmatrix *v = &spectrum->vectors;
    const int64_t total = spectrum->n_pairs * channels;
    const int64_t lld = v->desc[DESC_LLD];
    double *local = NULL;
    NTK_TRY(ntk_agree(NTK_CALLOC(local, total > 0 ? total : 1, "target projections"),
                      grid->comm));
    /* each eigenvector entry lives on one rank: partial sums added over ranks */
    for (int64_t lc = 0; lc < v->local_cols; ++lc) {
        const int64_t mode = grid_global_index(lc, grid->block, grid->mycol, grid->cols);
        for (int64_t lr = 0; lr < v->local_rows; ++lr) {
            const int64_t row = grid_global_index(lr, grid->block, grid->myrow, grid->rows);
            const double entry = v->data[lc * lld + lr];
            for (int c = 0; c < channels; ++c)
                local[mode * channels + c] += entry * targets[row * channels + c];
        }
    }
    const ntk_status status = ntk_allreduce_sum(local, projection, total, grid->comm);
    free(local);
    return status;
}

ntk_status diagnostics_target_power(const ntk_grid *grid, const ntk_spectrum *spectrum,
                                    const double *targets, int channels, double *power)
{
    const int64_t pairs = spectrum->n_pairs, rows = spectrum->vectors.rows;
    double *projection = NULL;
    NTK_TRY(ntk_agree(NTK_CALLOC(projection, pairs * channels > 0 ? pairs * channels : 1,
                                 "target projections"),
                      grid->comm));
    ntk_status status = diagnostics_project_targets(grid, spectrum, targets, channels, projection);
    if (status == NTK_OK) {
        double norm2 = 0.0;
        for (int64_t e = 0; e < rows * channels; ++e)
            norm2 += targets[e] * targets[e];
        double cumulative = 0.0;
        for (int64_t i = 0; i < pairs; ++i) {
            for (int c = 0; c < channels; ++c)
                cumulative += projection[i * channels + c] * projection[i * channels + c];
            power[i] = norm2 > 0.0 ? cumulative / norm2 : 0.0;
        }
    }
    free(projection);
    return status;
}
