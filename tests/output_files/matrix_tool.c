/* Test driver for output_write_dmatrix_npy: fills block-cyclic matrices
 * with value(i, j) = 100003 i + j (exact in float64) and writes them.
 *   output_matrix_tool PR PC row-major|column-major ROWS COLS BLOCK PATH [ROWS COLS BLOCK PATH]...
 * The grid struct is built here without BLACS (the writer only needs the
 * coordinates). With column-major the process at MPI rank r sits at
 * (r % PR, r / PR), so the grid rank BLACS would use differs from the MPI
 * rank: a writer that used the MPI rank would misplace blocks. With blacs
 * the grid and matrices come from grid_create/dmatrix_create (the real
 * BLACS grid and ScaLAPACK descriptors the pipeline uses).
 * A failed write prints "error: MESSAGE" on rank 0 and the tool goes on with
 * the next matrix; the exit code is 1 when any write failed. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/output.h"

static int64_t local_count(int64_t n, int block, int proc, int nprocs)
{
    int64_t blocks = n / block, count = (blocks / nprocs) * block;
    int64_t extra = blocks % nprocs;
    if (proc < extra)
        count += block;
    else if (proc == extra)
        count += n % block;
    return count;
}

static int64_t global_index(int64_t local, int block, int proc, int nprocs)
{
    return (local / block) * block * nprocs + proc * block + local % block;
}

static ntk_status write_one(ntk_grid *grid, int64_t rows, int64_t cols, int block,
                            const char *path)
{
    grid->block = block;
    ntk_dmatrix matrix;
    memset(&matrix, 0, sizeof matrix);
    if (grid->context >= 0) {
        NTK_TRY(dmatrix_create(grid, rows, cols, &matrix));
    } else {
        matrix.rows = rows;
        matrix.cols = cols;
        matrix.local_rows = local_count(rows, block, grid->myrow, grid->rows);
        matrix.local_cols = local_count(cols, block, grid->mycol, grid->cols);
        size_t elements = (size_t)(matrix.local_rows * matrix.local_cols);
        matrix.data = malloc((elements ? elements : 1) * sizeof(double));
    }
    if (matrix.data == NULL) {
        fprintf(stderr, "rank %d: out of memory\n", grid->rank);
        MPI_Abort(MPI_COMM_WORLD, 3);
    }
    for (int64_t lc = 0; lc < matrix.local_cols; ++lc) {
        double j = (double)global_index(lc, block, grid->mycol, grid->cols);
        for (int64_t lr = 0; lr < matrix.local_rows; ++lr) {
            double i = (double)global_index(lr, block, grid->myrow, grid->rows);
            matrix.data[lc * matrix.local_rows + lr] = 100003.0 * i + j;
        }
    }
    ntk_status status = output_write_dmatrix_npy(path, grid, &matrix);
    if (grid->context >= 0)
        dmatrix_destroy(&matrix);
    else
        free(matrix.data);
    return status;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    ntk_grid grid;
    memset(&grid, 0, sizeof grid);
    grid.comm = MPI_COMM_WORLD;
    MPI_Comm_rank(grid.comm, &grid.rank);
    MPI_Comm_size(grid.comm, &grid.size);
    if (argc < 8 || (argc - 4) % 4 != 0) {
        if (grid.rank == 0)
            fprintf(stderr, "usage: output_matrix_tool PR PC row-major|column-major "
                            "ROWS COLS BLOCK PATH...\n");
        MPI_Finalize();
        return 2;
    }
    int use_blacs = strcmp(argv[3], "blacs") == 0;
    if (use_blacs) {
        if (grid_create(MPI_COMM_WORLD, atoi(argv[6]), atoi(argv[1]), atoi(argv[2]), &grid) !=
            NTK_OK) {
            printf("error: %s\n", ntk_error_message());
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
    } else {
        grid.rows = atoi(argv[1]);
        grid.cols = atoi(argv[2]);
        grid.context = -1;
        int column_major = strcmp(argv[3], "column-major") == 0;
        grid.myrow = column_major ? grid.rank % grid.rows : grid.rank / grid.cols;
        grid.mycol = column_major ? grid.rank / grid.rows : grid.rank % grid.cols;
    }

    int failed = 0;
    for (int a = 4; a + 3 < argc; a += 4) {
        ntk_status status = write_one(&grid, atoll(argv[a]), atoll(argv[a + 1]),
                                      atoi(argv[a + 2]), argv[a + 3]);
        if (status != NTK_OK) {
            if (grid.rank == 0)
                printf("error: %s\n", ntk_error_message());
            ntk_error_clear();
            failed = 1;
        }
    }
    if (use_blacs)
        grid_destroy(&grid);
    MPI_Finalize();
    return failed;
}
