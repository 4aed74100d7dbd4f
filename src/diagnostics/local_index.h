/* The global row index of every local row of a distributed matrix, computed
 * once per pass instead of once per entry (the passes over Theta visit
 * every local entry, and the block-cyclic map costs a division each).
 * Internal to src/diagnostics/. */
#ifndef NTK_DIAGNOSTICS_LOCAL_INDEX_H
#define NTK_DIAGNOSTICS_LOCAL_INDEX_H

#include "grid/grid.h"

/* `*rows` (free it): global index of local row li of `matrix`, for every
 * li. Rank-local. */
ntk_status diagnostics_global_rows(const ntk_grid *grid, const ntk_dmatrix *matrix,
                                   int64_t **rows);

/* The first local row whose global index (in the ascending `rows`, `count`
 * of them) is at least `global`: where a column's lower triangle starts. */
static inline int64_t diagnostics_first_row_at_least(const int64_t *rows, int64_t count,
                                                     int64_t global)
{
    int64_t low = 0, high = count;
    while (low < high) {
        const int64_t middle = low + (high - low) / 2;
        if (rows[middle] < global)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

#endif
