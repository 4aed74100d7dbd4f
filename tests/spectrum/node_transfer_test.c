/* The single-node solver's transfers (src/spectrum/node/node_transfer.c) on
 * every grid shape of 1-4 ranks, blocks 1, 3, 8 and 64 (larger than the
 * matrix), sizes 1, 5, 37 and 130: the gather must put exactly every entry
 * of the lower triangle in rank 0's array and leave the strict upper
 * triangle alone; the scatter must give every rank exactly its block-cyclic
 * share of rank 0's M x cols array, for cols = M and fewer (the top k). */
#include <stdio.h>
#include <stdlib.h>

#include "grid/grid.h"
#include "spectrum/node/node_transfer.h"
#include "check.h"

static double entry(int64_t i, int64_t j) { return (double)(i * 100003 + j) + 0.25; }

static void test_gather(const ntk_grid *grid, int64_t n)
{
    ntk_dmatrix theta;
    CHECK(dmatrix_create(grid, n, n, &theta) == NTK_OK, "dmatrix_create");
    for (int64_t c = 0; c < theta.local_cols; c++)
        for (int64_t r = 0; r < theta.local_rows; r++)
            theta.data[r + c * theta.local_rows] =
                entry(grid_global_index(r, grid->block, grid->myrow, grid->rows),
                      grid_global_index(c, grid->block, grid->mycol, grid->cols));
    double *a = NULL;
    if (grid->rank == 0) {
        a = malloc(sizeof *a * (size_t)(n * n));
        for (int64_t k = 0; k < n * n; k++)
            a[k] = -1.0;
    }
    CHECK(node_gather_lower(grid, &theta, a) == NTK_OK, "node_gather_lower failed");
    if (grid->rank == 0) {
        int64_t wrong = 0;
        for (int64_t j = 0; j < n; j++)
            for (int64_t i = 0; i < n; i++)
                wrong += a[i + j * n] != (i >= j ? entry(i, j) : -1.0);
        CHECK(wrong == 0, "gather n %lld block %d grid %dx%d: %lld entries wrong", (long long)n,
              grid->block, grid->rows, grid->cols, (long long)wrong);
    }
    free(a);
    dmatrix_destroy(&theta);
}

static void test_scatter(const ntk_grid *grid, int64_t n, int64_t cols)
{
    double *z = NULL;
    if (grid->rank == 0) {
        z = malloc(sizeof *z * (size_t)(n * cols > 0 ? n * cols : 1));
        for (int64_t j = 0; j < cols; j++)
            for (int64_t i = 0; i < n; i++)
                z[i + j * n] = entry(i, j);
    }
    ntk_dmatrix vectors;
    CHECK(dmatrix_create(grid, n, cols, &vectors) == NTK_OK, "dmatrix_create");
    CHECK(node_scatter_columns(grid, z, &vectors) == NTK_OK, "node_scatter_columns failed");
    int64_t wrong = 0;
    for (int64_t c = 0; c < vectors.local_cols; c++)
        for (int64_t r = 0; r < vectors.local_rows; r++)
            wrong += vectors.data[r + c * vectors.local_rows] !=
                     entry(grid_global_index(r, grid->block, grid->myrow, grid->rows),
                           grid_global_index(c, grid->block, grid->mycol, grid->cols));
    CHECK(wrong == 0, "scatter n %lld cols %lld block %d grid %dx%d: %lld entries wrong",
          (long long)n, (long long)cols, grid->block, grid->rows, grid->cols, (long long)wrong);
    free(z);
    dmatrix_destroy(&vectors);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int size = 1, rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    check_rank = rank;
    const int blocks[] = {1, 3, 8, 64};
    const int64_t sizes[] = {1, 5, 37, 130};
    for (int rows = 1; rows <= size; ++rows) {
        if (size % rows != 0)
            continue;
        for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; ++b) {
            ntk_grid grid;
            if (grid_create(MPI_COMM_WORLD, blocks[b], rows, size / rows, &grid) != NTK_OK) {
                fprintf(stderr, "grid_create failed\n");
                MPI_Abort(MPI_COMM_WORLD, 1);
            }
            for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; ++s) {
                test_gather(&grid, sizes[s]);
                test_scatter(&grid, sizes[s], sizes[s]);
                test_scatter(&grid, sizes[s], (sizes[s] + 2) / 3);
            }
            grid_destroy(&grid);
        }
    }
    int total = 0;
    MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0)
        printf("node transfers on %d ranks: %d checks, %d failures\n", size, checks, total);
    MPI_Finalize();
    return total == 0 ? 0 : 1;
}
