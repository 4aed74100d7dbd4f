/* The grid section's configuration (grid.block, grid.shape). Its keys are
 * described in grid/grid_keys.c. */
#ifndef NTK_GRID_GRID_CONFIG_H
#define NTK_GRID_GRID_CONFIG_H

#include "core/location.h"
#include "core/config_keys.h"

/* grid.block when the job does not say: the one place this default lives. */
#define NTK_DEFAULT_BLOCK 64

typedef struct {
    int block;       /* ScaLAPACK nb as written; the run clamps it (grid_effective_block) */
    int rows, cols;  /* process grid; 0,0 = auto (closest to square, rows <= cols) */
    ntk_location shape_where; /* grid.shape (or grid, or the file) for the rank-count check */
} ntk_grid_spec;

extern const ntk_config_section grid_section;

#endif
