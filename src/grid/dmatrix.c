/* Block-cyclic distributed matrices: allocation, descriptors and making a
 * lower-triangle-only matrix symmetric (see grid.h). */
#include "grid/grid.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "grid/scalapack.h"

enum { DESC_LLD = 8 }; /* index of the leading dimension in a descriptor */

ntk_status dmatrix_describe(const ntk_grid *grid, int64_t rows, int64_t cols, ntk_dmatrix *matrix)
{
    memset(matrix, 0, sizeof *matrix);
    /* ScaLAPACK indexes global rows and columns with 32-bit INTEGERs. */
    if (rows < 0 || cols < 0 || rows > INT_MAX || cols > INT_MAX)
        return NTK_RAISE(NTK_ERR_MEMORY,
                         "a %lld x %lld matrix exceeds ScaLAPACK's 32-bit index limit (%d)",
                         (long long)rows, (long long)cols, INT_MAX);
    matrix->rows = rows;
    matrix->cols = cols;
    matrix->local_rows = grid_local_count(rows, grid->block, grid->myrow, grid->rows);
    matrix->local_cols = grid_local_count(cols, grid->block, grid->mycol, grid->cols);

    const int m = (int)rows, n = (int)cols, nb = grid->block, zero = 0;
    const int lld = matrix->local_rows > 1 ? (int)matrix->local_rows : 1;
    int info = 0;
    descinit_(matrix->desc, &m, &n, &nb, &nb, &zero, &zero, &grid->context, &lld, &info);
    ntk_status status = grid_check_scalapack("descinit", info);
    if (status != NTK_OK) {
        memset(matrix, 0, sizeof *matrix);
        return NTK_FRAME(status);
    }
    return NTK_OK;
}

ntk_status dmatrix_create(const ntk_grid *grid, int64_t rows, int64_t cols, ntk_dmatrix *matrix)
{
    NTK_TRY(dmatrix_describe(grid, rows, cols, matrix));
    const int lld = (int)matrix->desc[DESC_LLD];
    /* The local element count may exceed 2^31 (only the leading dimension
     * must fit an int), so the size is computed in size_t. */
    const size_t count = (size_t)lld * (size_t)matrix->local_cols;
    ntk_status status = ntk_calloc(&matrix->data, count, sizeof(double), "the local matrix block");
    if (status != NTK_OK)
        memset(matrix, 0, sizeof *matrix);
    return status;
}

void dmatrix_destroy(ntk_dmatrix *matrix)
{
    free(matrix->data);
    memset(matrix, 0, sizeof *matrix);
}

/* The transpose is taken one block row of process rows at a time: panel p
 * holds global rows [r0, r0 + block * grid->rows) of A's transpose, so its
 * rows are distributed exactly like those rows of A (r0 is a multiple of
 * block * rows) and the scratch space is one block of rows per process —
 * not a second copy of the matrix. Copies with alpha = 1, beta = 0 are
 * exact, so the result is bit-for-bit symmetric. */
ntk_status grid_symmetrize_from_lower(const ntk_grid *grid, int64_t n, int64_t local_cols,
                                      const int *desc, void *data, int single)
{
    const int nb = grid->block;
    const int64_t panel_height = (int64_t)nb * grid->rows;
    const int64_t lld = desc[DESC_LLD];
    const size_t size_of = single ? sizeof(float) : sizeof(double);

    char *panel = NULL;
    ntk_status status = ntk_calloc(&panel, (size_t)nb * (size_t)(local_cols + 1), size_of,
                                   "the symmetrize panel");
    NTK_TRY(ntk_agree(status, grid->comm));

    for (int64_t r0 = 0; r0 < n; r0 += panel_height) {
        const int height = (int)(n - r0 < panel_height ? n - r0 : panel_height);
        const int size = (int)n, zero = 0;
        const int panel_lld = nb; /* at most one block of panel rows per process */
        int panel_desc[9];
        int info = 0;
        descinit_(panel_desc, &height, &size, &nb, &nb, &zero, &zero, &grid->context,
                  &panel_lld, &info);
        status = grid_check_scalapack("descinit (symmetrize panel)", info);
        /* panel(0:height, 0:n) = A(0:n, r0:r0+height)^T */
        const int ia = 1, ja = (int)r0 + 1, ic = 1, jc = 1;
        if (status == NTK_OK && single) {
            const float one = 1.0f, none = 0.0f;
            pstran_(&height, &size, &one, data, &ia, &ja, desc, &none, (float *)panel, &ic, &jc,
                    panel_desc);
            status = grid_check_scalapack("pstran (symmetrize)", 0);
        } else if (status == NTK_OK) {
            const double one = 1.0, none = 0.0;
            pdtran_(&height, &size, &one, data, &ia, &ja, desc, &none, (double *)panel, &ic, &jc,
                    panel_desc);
            status = grid_check_scalapack("pdtran (symmetrize)", 0);
        }
        /* descinit's checks are local (LLD): agree before the next transpose. */
        status = ntk_agree(status, grid->comm);
        if (status != NTK_OK) {
            free(panel);
            return NTK_FRAME(status);
        }

        const int64_t panel_local_rows = grid_local_count(height, nb, grid->myrow, grid->rows);
        const int64_t first_local_row = r0 / grid->rows; /* A's local row of panel row 0 */
        for (int64_t lc = 0; lc < local_cols; ++lc) {
            const int64_t column = grid_global_index(lc, nb, grid->mycol, grid->cols);
            for (int64_t lr = 0; lr < panel_local_rows; ++lr) {
                const int64_t row = r0 + grid_global_index(lr, nb, grid->myrow, grid->rows);
                if (column > row)
                    memcpy((char *)data + ((first_local_row + lr) + lc * lld) * size_of,
                           panel + (lr + lc * panel_lld) * size_of, size_of);
            }
        }
    }
    free(panel);
    return NTK_OK;
}

ntk_status dmatrix_symmetrize_from_lower(const ntk_grid *grid, ntk_dmatrix *matrix)
{
    if (matrix->rows != matrix->cols)
        return NTK_RAISE(NTK_ERR_INTERNAL, "symmetrize: matrix is %lld x %lld, not square",
                         (long long)matrix->rows, (long long)matrix->cols);
    return grid_symmetrize_from_lower(grid, matrix->rows, matrix->local_cols, matrix->desc,
                                      matrix->data, 0);
}
