/* The eigensolve's own layout (spectrum.grid, spectrum.block; see
 * spectrum.h): which grid and block it resolves to, what moving Theta there
 * costs in memory, and the move itself.
 *
 * Theta is assembled on the job's grid (grid.shape, grid.block). ELPA and
 * pdsyevd are said to prefer near-square grids and some block sizes, so the
 * solve may run on another grid of the same ranks: Theta's lower triangle is
 * copied there (PDTRMR2D; the solve mirrors it where the solver needs both
 * triangles, as on the assembly grid), the assembly copy is freed, and the
 * eigenvectors come back to the assembly layout (PDGEMR2D), which every
 * consumer (modes, writers, predict) reads. Both copies exist only during
 * the moves. The measurements behind the defaults are in the README
 * ("Eigensolvers: bench/eigensolve"). */
#include "spectrum/spectrum.h"

#include "spectrum/eigensolver.h"

#include "grid/scalapack.h"
#include "spectrum/solvers.h"

/* What `auto` picks for spectrum.block: no block beat 64 for pdsyevd or
 * elpa1 at N = 2048 and 4096 on 2 and 4 ranks (README, "Eigensolvers"),
 * which is also why the default layout is the assembly's. */
#define SPECTRUM_AUTO_BLOCK NTK_DEFAULT_BLOCK

int64_t spectrum_redistribution_columns(int64_t rows)
{
    const int64_t limit = (int64_t)1 << 27;
    const int64_t columns = limit / (rows > 0 ? rows : 1);
    return columns > 0 ? columns : 1;
}

void spectrum_solve_layout(const ntk_spectrum_spec *spec, ntk_solver solver, int ranks,
                           int64_t matrix_size, int grid_rows, int grid_cols, int block,
                           ntk_solve_layout *layout)
{
    layout->rows = grid_rows;
    layout->cols = grid_cols;
    layout->block = block;
    layout->moved = 0;
    /* lapack gathers Theta to one rank from any layout; none and matrix_free
     * solve nothing block-cyclic (job load refuses the keys when named). */
    if (!eigensolver_has(solver, EIGENSOLVER_OWN_LAYOUT))
        return;
    if (spec->solve_rows == NTK_SOLVE_LAYOUT_AUTO) {
        grid_auto_shape(ranks, &layout->rows, &layout->cols);
    } else if (spec->solve_rows > 0 && (int64_t)spec->solve_rows * spec->solve_cols == ranks) {
        layout->rows = spec->solve_rows;
        layout->cols = spec->solve_cols;
    }
    if (spec->solve_block == NTK_SOLVE_LAYOUT_AUTO)
        layout->block = grid_effective_block(SPECTRUM_AUTO_BLOCK, matrix_size);
    else if (spec->solve_block > 0)
        layout->block = grid_effective_block(spec->solve_block, matrix_size);
    layout->moved = layout->rows != grid_rows || layout->cols != grid_cols ||
                    layout->block != block;
}

/* Local element count of an M x cols matrix on grid process (0, 0). */
static double local_doubles(int64_t rows, int64_t cols, int grid_rows, int grid_cols, int block)
{
    return (double)grid_local_count(rows, block, 0, grid_rows) *
           (double)grid_local_count(cols, block, 0, grid_cols);
}

double spectrum_layout_move_bytes(const ntk_solve_layout *layout, int64_t matrix_size,
                                  int64_t vector_cols, int grid_rows, int grid_cols, int block)
{
    if (!layout->moved)
        return 0.0;
    const int ranks = grid_rows * grid_cols;
    /* PDGEMR2D's send and receive buffers: this rank's share of one panel
     * each way (spectrum_redistribution_columns bounds a panel). */
    const int64_t panel = spectrum_redistribution_columns(matrix_size);
    const double buffers = 2.0 * (double)matrix_size *
                           (double)(panel < matrix_size ? panel : matrix_size) / ranks;
    const double theta_move =
        local_doubles(matrix_size, matrix_size, grid_rows, grid_cols, block) +
        local_doubles(matrix_size, matrix_size, layout->rows, layout->cols, layout->block);
    const double vector_move =
        local_doubles(matrix_size, vector_cols, grid_rows, grid_cols, block) +
        local_doubles(matrix_size, vector_cols, layout->rows, layout->cols, layout->block);
    return 8.0 * ((theta_move > vector_move ? theta_move : vector_move) + buffers);
}

ntk_status spectrum_redistribute(const ntk_grid *from, const ntk_dmatrix *a, const ntk_grid *to,
                                 int lower_only, ntk_dmatrix *b)
{
    NTK_TRY(ntk_agree(dmatrix_create(to, a->rows, a->cols, b), from->comm));
    /* Panels of columns, as the lapack gather does: ScaLAPACK 2.2.1's
     * pdgemr2d caps its buffers at 2 GB. `from` spans every rank, so its
     * context is one that holds both layouts. */
    const int64_t panel = spectrum_redistribution_columns(a->rows);
    ntk_status status = NTK_OK;
    for (int64_t first = 0; first < a->cols && status == NTK_OK; first += panel) {
        const int n = (int)(a->cols - first < panel ? a->cols - first : panel);
        const int one = 1, column = (int)first + 1;
        if (lower_only) {
            /* The sub-matrix from the panel's diagonal down: its lower
             * trapezoid is the triangle's part of these columns. */
            const int m = (int)(a->rows - first);
            pdtrmr2d_("L", "N", &m, &n, a->data, &column, &column, a->desc, b->data, &column,
                      &column, b->desc, &from->context, 1, 1);
            status = grid_check_scalapack("pdtrmr2d (to the solve layout)", 0);
        } else {
            const int m = (int)a->rows;
            pdgemr2d_(&m, &n, a->data, &one, &column, a->desc, b->data, &one, &column, b->desc,
                      &from->context);
            status = grid_check_scalapack("pdgemr2d (back to the assembly layout)", 0);
        }
        status = ntk_agree(status, from->comm);
    }
    if (status != NTK_OK)
        dmatrix_destroy(b);
    return status;
}
