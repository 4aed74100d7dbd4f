/* Grid creation (row-major BLACS order) and dmatrix_symmetrize_from_lower on
 * every grid shape of the communicator size, several block sizes and matrix
 * sizes: the upper triangle must become a bit-exact copy of the lower one
 * and the lower triangle must not change. Run under mpirun on 1..4 ranks. */
#include <math.h>
#include <stdio.h>

#include "grid/grid.h"

/* A value that differs for every (row, column) with row >= column. */
static double lower_value(int64_t row, int64_t column)
{
    return sin(0.37 * (double)row + 1.3) * 1000.0 + (double)column / 7.0;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    long failures = 0, cases = 0;
    const int64_t sizes[] = {1, 7, 13, 29};
    const int blocks[] = {1, 3, 4};

    for (int rows = 1; rows <= size; ++rows) {
        if (size % rows != 0)
            continue;
        const int cols = size / rows;
        for (int b = 0; b < 3; ++b) {
            ntk_grid grid;
            if (grid_create(MPI_COMM_WORLD, blocks[b], rows, cols, &grid) != NTK_OK) {
                fprintf(stderr, "grid_create %d x %d failed: %s\n", rows, cols,
                        ntk_error_message());
                MPI_Abort(MPI_COMM_WORLD, 1);
            }
            if (grid.myrow * cols + grid.mycol != rank || grid.rows != rows || grid.cols != cols)
                ++failures;
            for (int s = 0; s < 4; ++s) {
                const int64_t n = sizes[s];
                ntk_dmatrix a;
                if (dmatrix_create(&grid, n, n, &a) != NTK_OK)
                    MPI_Abort(MPI_COMM_WORLD, 1);
                const int64_t lld = a.desc[8];
                for (int64_t lc = 0; lc < a.local_cols; ++lc)
                    for (int64_t lr = 0; lr < a.local_rows; ++lr) {
                        const int64_t i = grid_global_index(lr, grid.block, grid.myrow, rows);
                        const int64_t j = grid_global_index(lc, grid.block, grid.mycol, cols);
                        a.data[lr + lc * lld] = i >= j ? lower_value(i, j) : -12345.0;
                    }
                if (dmatrix_symmetrize_from_lower(&grid, &a) != NTK_OK) {
                    fprintf(stderr, "symmetrize failed: %s\n", ntk_error_message());
                    MPI_Abort(MPI_COMM_WORLD, 1);
                }
                for (int64_t lc = 0; lc < a.local_cols; ++lc)
                    for (int64_t lr = 0; lr < a.local_rows; ++lr) {
                        const int64_t i = grid_global_index(lr, grid.block, grid.myrow, rows);
                        const int64_t j = grid_global_index(lc, grid.block, grid.mycol, cols);
                        const double expected = i >= j ? lower_value(i, j) : lower_value(j, i);
                        if (a.data[lr + lc * lld] != expected) {
                            if (failures < 10)
                                fprintf(stderr,
                                        "rank %d grid %dx%d nb %d n %lld: (%lld,%lld) = %g, "
                                        "expected %g\n",
                                        rank, rows, cols, grid.block, (long long)n, (long long)i,
                                        (long long)j, a.data[lr + lc * lld], expected);
                            ++failures;
                        }
                    }
                ++cases;
                dmatrix_destroy(&a);
            }
            grid_destroy(&grid);
        }
    }
    long total = 0;
    MPI_Allreduce(&failures, &total, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0)
        printf("grid symmetrize on %d ranks: %ld cases, %ld failures\n", size, cases, total);
    MPI_Finalize();
    return total == 0 ? 0 : 1;
}
