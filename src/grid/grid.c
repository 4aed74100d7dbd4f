/* The BLACS process grid: its shape and its lifetime (see grid.h). */
#include "grid/grid.h"

#include <string.h>

#include "grid/scalapack.h"

void grid_auto_shape(int ranks, int *rows, int *cols)
{
    /* The largest divisor of `ranks` not above its square root: the most
     * square grid, which balances the row and column panel traffic. */
    int best = 1;
    for (int r = 1; (long)r * r <= ranks; ++r)
        if (ranks % r == 0)
            best = r;
    *rows = best;
    *cols = ranks > 0 ? ranks / best : 1;
}

ntk_status grid_create(MPI_Comm comm, int block, int rows, int cols, ntk_grid *grid)
{
    memset(grid, 0, sizeof *grid);
    grid->context = -1;
    NTK_MPI(MPI_Comm_rank(comm, &grid->rank));
    NTK_MPI(MPI_Comm_size(comm, &grid->size));
    if (rows == 0 && cols == 0)
        grid_auto_shape(grid->size, &rows, &cols);
    /* Arguments are the same on every rank, so every rank takes the same
     * branch here and nobody is left in BLACS. */
    if (rows < 1 || cols < 1 || (long)rows * cols != grid->size)
        return NTK_RAISE(NTK_ERR_MPI, "grid %d x %d does not match the %d MPI ranks", rows, cols,
                         grid->size);
    if (block < 1)
        return NTK_RAISE(NTK_ERR_INTERNAL, "grid block size must be >= 1, got %d", block);

    grid->comm = comm;
    grid->rows = rows;
    grid->cols = cols;
    grid->block = block;

    /* A BLACS context on exactly this communicator (not MPI_COMM_WORLD), so
     * grids on sub-communicators (sweeps) work. 'Row' order numbers the
     * processes row by row: (myrow, mycol) is communicator rank
     * myrow * cols + mycol, which MPI_Type_create_darray assumes. */
    int handle = Csys2blacs_handle(comm);
    int context = handle;
    Cblacs_gridinit(&context, "Row", rows, cols);
    Cfree_blacs_system_handle(handle);
    int grid_rows = -1, grid_cols = -1;
    Cblacs_gridinfo(context, &grid_rows, &grid_cols, &grid->myrow, &grid->mycol);
    grid->context = context;

    ntk_status status = NTK_OK;
    if (grid_rows != rows || grid_cols != cols || grid->myrow < 0 || grid->mycol < 0)
        status = NTK_RAISE(NTK_ERR_MPI, "BLACS could not create a %d x %d grid", rows, cols);
    else if (grid->myrow * cols + grid->mycol != grid->rank)
        status = NTK_RAISE(NTK_ERR_MPI,
                           "BLACS placed rank %d at (%d, %d), not in row-major order on a "
                           "%d x %d grid",
                           grid->rank, grid->myrow, grid->mycol, rows, cols);
    status = ntk_agree(status, comm);
    if (status != NTK_OK) {
        grid_destroy(grid);
        return status;
    }
    return NTK_OK;
}

int grid_effective_block(int requested, int64_t matrix_size)
{
    if (matrix_size >= 1 && requested > matrix_size)
        return (int)matrix_size;
    return requested;
}

void grid_destroy(ntk_grid *grid)
{
    if (grid->context >= 0 && grid->myrow >= 0)
        Cblacs_gridexit(grid->context);
    grid->context = -1;
}

