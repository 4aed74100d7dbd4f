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

/* dmatrix_symmetrize_from_lower's panels, with pstran: exact copies, so the
 * result is bit-for-bit symmetric. */
ntk_status smatrix_symmetrize_from_lower(const ntk_grid *grid, ntk_smatrix *matrix)
{
    if (matrix->rows != matrix->cols)
        return NTK_RAISE(NTK_ERR_INTERNAL, "symmetrize: matrix is %lld x %lld, not square",
                         (long long)matrix->rows, (long long)matrix->cols);
    const int64_t n = matrix->rows;
    const int nb = grid->block;
    const int64_t panel_height = (int64_t)nb * grid->rows;
    const int64_t lld = matrix->desc[DESC_LLD];
    float *panel = NULL;
    NTK_TRY(ntk_agree(ntk_calloc(&panel, (size_t)nb * (size_t)(matrix->local_cols + 1),
                                 sizeof(float), "the symmetrize panel"),
                      grid->comm));
    for (int64_t r0 = 0; r0 < n; r0 += panel_height) {
        const int height = (int)(n - r0 < panel_height ? n - r0 : panel_height);
        const int size = (int)n, zero = 0, panel_lld = nb;
        int panel_desc[9];
        int info = 0;
        descinit_(panel_desc, &height, &size, &nb, &nb, &zero, &zero, &grid->context,
                  &panel_lld, &info);
        ntk_status status = grid_check_scalapack("descinit (symmetrize panel)", info);
        const float one = 1.0f, none = 0.0f;
        const int ia = 1, ja = (int)r0 + 1, ic = 1, jc = 1;
        if (status == NTK_OK) {
            pstran_(&height, &size, &one, matrix->data, &ia, &ja, matrix->desc, &none, panel,
                    &ic, &jc, panel_desc);
            status = grid_check_scalapack("pstran (symmetrize)", 0);
        }
        status = ntk_agree(status, grid->comm);
        if (status != NTK_OK) {
            free(panel);
            return NTK_FRAME(status);
        }
        const int64_t panel_local_rows = grid_local_count(height, nb, grid->myrow, grid->rows);
        const int64_t first_local_row = r0 / grid->rows;
        for (int64_t lc = 0; lc < matrix->local_cols; ++lc) {
            const int64_t column = grid_global_index(lc, nb, grid->mycol, grid->cols);
            for (int64_t lr = 0; lr < panel_local_rows; ++lr) {
                const int64_t row = r0 + grid_global_index(lr, nb, grid->myrow, grid->rows);
                if (column > row)
                    matrix->data[(first_local_row + lr) + lc * lld] = panel[lr + lc * panel_lld];
            }
        }
    }
    free(panel);
    return NTK_OK;
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
