/* Global indices of local rows (see local_index.h). */
#include "diagnostics/local_index.h"

ntk_status diagnostics_global_rows(const ntk_grid *grid, const ntk_dmatrix *matrix,
                                   int64_t **rows)
{
    *rows = NULL;
    NTK_TRY(NTK_CALLOC(*rows, matrix->local_rows > 0 ? matrix->local_rows : 1,
                       "the global row indices"));
    for (int64_t li = 0; li < matrix->local_rows; ++li)
        (*rows)[li] = grid_global_index(li, grid->block, grid->myrow, grid->rows);
    return NTK_OK;
}
