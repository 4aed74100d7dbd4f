/* Block-cyclic float32 matrices (grid.h, ntk_smatrix): kernel.precision
 * float32 stores Theta and its eigenvectors in them. The layout and the
 * descriptor are ntk_dmatrix's (dmatrix_create makes the descriptor); only
 * the entries are floats. */
#include "grid/grid.h"

#include <stdlib.h>
#include <string.h>

#include "grid/scalapack.h"

enum { DESC_LLD = 8 };

ntk_status smatrix_create(const ntk_grid *grid, int64_t rows, int64_t cols, ntk_smatrix *matrix)
{
    memset(matrix, 0, sizeof *matrix);
    ntk_dmatrix shape;
    memset(&shape, 0, sizeof shape);
    ntk_status status = dmatrix_describe(grid, rows, cols, &shape);
    if (status != NTK_OK)
        return NTK_FRAME(status);
    matrix->rows = shape.rows;
    matrix->cols = shape.cols;
    matrix->local_rows = shape.local_rows;
    matrix->local_cols = shape.local_cols;
    memcpy(matrix->desc, shape.desc, sizeof matrix->desc);
    const size_t count = (size_t)shape.desc[DESC_LLD] * (size_t)matrix->local_cols;
    status = ntk_calloc(&matrix->data, count, sizeof(float), "the local float32 matrix block");
    if (status != NTK_OK)
        memset(matrix, 0, sizeof *matrix);
    return status;
}

void smatrix_destroy(ntk_smatrix *matrix)
{
    free(matrix->data);
    memset(matrix, 0, sizeof *matrix);
}

ntk_status smatrix_symmetrize_from_lower(const ntk_grid *grid, ntk_smatrix *matrix)
{
    if (matrix->rows != matrix->cols)
        return NTK_RAISE(NTK_ERR_INTERNAL, "symmetrize: matrix is %lld x %lld, not square",
                         (long long)matrix->rows, (long long)matrix->cols);
    return grid_symmetrize_from_lower(grid, matrix->rows, matrix->local_cols, matrix->desc,
                                      matrix->data, 1);
}

ntk_status smatrix_lower_moments(const ntk_grid *grid, const ntk_smatrix *a, double *trace,
                                 double *frobenius_squared)
{
    double local[2] = {0.0, 0.0}, total[2];
    const int64_t lld = a->desc[DESC_LLD];
    for (int64_t lc = 0; lc < a->local_cols; ++lc) {
        const int64_t j = grid_global_index(lc, grid->block, grid->mycol, grid->cols);
        for (int64_t lr = 0; lr < a->local_rows; ++lr) {
            const int64_t i = grid_global_index(lr, grid->block, grid->myrow, grid->rows);
            if (i < j)
                continue;
            const double value = a->data[lc * lld + lr];
            local[0] += i == j ? value : 0.0;
            local[1] += (i == j ? 1.0 : 2.0) * value * value;
        }
    }
    NTK_MPI(MPI_Allreduce(local, total, 2, MPI_DOUBLE, MPI_SUM, grid->comm));
    *trace = total[0];
    *frobenius_squared = total[1];
    return NTK_OK;
}
