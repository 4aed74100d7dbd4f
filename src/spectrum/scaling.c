/* Scaling into an eigensolver's accurate range (see scaling.h). */
#include "spectrum/scaling.h"

#include <math.h>

#include "core/lapack.h"

enum { DESC_LLD = 8 };

void spectrum_safe_range(double *low, double *high)
{
    const double safe_min = dlamch_("Safe minimum", 1), eps = dlamch_("Precision", 1);
    const double small = safe_min / eps, big = 1.0 / small;
    *low = sqrt(small);
    *high = sqrt(big);
}

double spectrum_scale_factor(double largest, double low, double high)
{
    if (largest > 0.0 && largest < low)
        return low / largest;
    if (largest > high)
        return high / largest;
    return 1.0;
}

ntk_status spectrum_largest_lower(const ntk_grid *grid, const ntk_dmatrix *matrix,
                                  double *largest)
{
    const int64_t lld = matrix->desc[DESC_LLD];
    double local = 0.0;
    for (int64_t lc = 0; lc < matrix->local_cols; ++lc) {
        const int64_t column = grid_global_index(lc, grid->block, grid->mycol, grid->cols);
        for (int64_t lr = 0; lr < matrix->local_rows; ++lr) {
            const int64_t row = grid_global_index(lr, grid->block, grid->myrow, grid->rows);
            const double entry = fabs(matrix->data[lr + lc * lld]);
            if (row >= column && !(entry <= local)) /* keeps a NaN */
                local = entry;
        }
    }
    NTK_MPI(MPI_Allreduce(&local, largest, 1, MPI_DOUBLE, MPI_MAX, grid->comm));
    return NTK_OK;
}

void spectrum_scale_local(ntk_dmatrix *matrix, double factor)
{
    if (factor == 1.0)
        return;
    const size_t count = (size_t)matrix->desc[DESC_LLD] * (size_t)matrix->local_cols;
    for (size_t e = 0; e < count; ++e)
        matrix->data[e] *= factor;
}
