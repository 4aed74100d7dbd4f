/* The matrix-free eigenvectors, held as each rank's own rows, into the
 * block-cyclic layout the modes and the .npy writer take: one
 * MPI_Alltoallv, every element sent once to the process that holds it. */
#include "spectrum/parpack/matrix_free.h"

#include <limits.h>
#include <stdlib.h>

enum { DESC_LLD = 8 };

/* Local row (or column) index of global index `global` on its owner. */
static int64_t local_index(int64_t global, int block, int nprocs)
{
    return (global / ((int64_t)block * nprocs)) * block + global % block;
}

static int64_t rows_owned_by(int64_t first, int64_t count, int block, int proc, int nprocs)
{
    int64_t n = 0;
    for (int64_t i = first; i < first + count; ++i)
        n += grid_owner(i, block, nprocs) == proc;
    return n;
}

ntk_status mf_vectors_to_dmatrix(const ntk_grid *grid, const mf_operator *op, const double *z,
                                 int64_t ld, int64_t pairs, ntk_dmatrix *vectors)
{
    MPI_Comm comm = op->comm;
    int ranks = 1, rank = 0;
    MPI_Comm_size(comm, &ranks);
    MPI_Comm_rank(comm, &rank);
    int64_t matrix_size = 0;
    NTK_MPI(MPI_Allreduce(&op->rows, &matrix_size, 1, MPI_INT64_T, MPI_SUM, comm));
    NTK_TRY(ntk_agree(dmatrix_create(grid, matrix_size, pairs, vectors), comm));

    const int nb = grid->block;
    int64_t *range = NULL; /* first row, rows per rank */
    int *coords = NULL;    /* grid row, grid column per rank */
    int *send_count = NULL, *send_offset = NULL, *recv_count = NULL, *recv_offset = NULL;
    double *send = NULL, *recv = NULL;
    ntk_status status = NTK_CALLOC(range, 2 * (int64_t)ranks, "row ranges");
    if (status == NTK_OK)
        status = NTK_CALLOC(coords, 2 * (int64_t)ranks, "grid coordinates");
    if (status == NTK_OK)
        status = NTK_CALLOC(send_count, 4 * (int64_t)ranks, "exchange counts");
    NTK_TRY_GOTO(status, ntk_agree(status, comm), done);
    send_offset = send_count + ranks;
    recv_count = send_count + 2 * ranks;
    recv_offset = send_count + 3 * ranks;
    const int64_t mine[2] = {op->first_row, op->rows};
    const int my_coords[2] = {grid->myrow, grid->mycol};
    NTK_MPI_GOTO(status, MPI_Allgather(mine, 2, MPI_INT64_T, range, 2, MPI_INT64_T, comm), done);
    NTK_MPI_GOTO(status, MPI_Allgather(my_coords, 2, MPI_INT, coords, 2, MPI_INT, comm), done);

    /* Counts: to rank p the own rows of p's grid row times p's columns;
     * from rank s its rows in my grid row times my columns. */
    int64_t send_total = 0, recv_total = 0;
    const int64_t my_cols = vectors->local_cols;
    for (int p = 0; p < ranks; ++p) {
        const int64_t out = rows_owned_by(op->first_row, op->rows, nb, coords[2 * p], grid->rows) *
                            grid_local_count(pairs, nb, coords[2 * p + 1], grid->cols);
        const int64_t in =
            rows_owned_by(range[2 * p], range[2 * p + 1], nb, grid->myrow, grid->rows) * my_cols;
        if (out > INT_MAX || in > INT_MAX || send_total + out > INT_MAX ||
            recv_total + in > INT_MAX) {
            status = NTK_RAISE(NTK_ERR_MEMORY,
                               "eigenvectors: %lld x %lld is too large to redistribute in one "
                               "exchange on %d ranks (more ranks)",
                               (long long)matrix_size, (long long)pairs, ranks);
            break;
        }
        send_count[p] = (int)out;
        send_offset[p] = (int)send_total;
        recv_count[p] = (int)in;
        recv_offset[p] = (int)recv_total;
        send_total += out;
        recv_total += in;
    }
    if (status == NTK_OK)
        status = NTK_CALLOC(send, send_total > 0 ? send_total : 1, "eigenvector exchange");
    if (status == NTK_OK)
        status = NTK_CALLOC(recv, recv_total > 0 ? recv_total : 1, "eigenvector exchange");
    NTK_TRY_GOTO(status, ntk_agree(status, comm), done);

    for (int p = 0; p < ranks; ++p) {
        double *out = send + send_offset[p];
        const int64_t cols = grid_local_count(pairs, nb, coords[2 * p + 1], grid->cols);
        for (int64_t lc = 0; lc < cols; ++lc) {
            const int64_t j = grid_global_index(lc, nb, coords[2 * p + 1], grid->cols);
            for (int64_t r = 0; r < op->rows; ++r)
                if (grid_owner(op->first_row + r, nb, grid->rows) == coords[2 * p])
                    *out++ = z[j * ld + r];
        }
    }
    NTK_MPI_GOTO(status, MPI_Alltoallv(send, send_count, send_offset, MPI_DOUBLE, recv,
                                       recv_count, recv_offset, MPI_DOUBLE, comm), done);
    const int64_t lld = vectors->desc[DESC_LLD];
    for (int s = 0; s < ranks; ++s) {
        const double *in = recv + recv_offset[s];
        for (int64_t lc = 0; lc < my_cols; ++lc)
            for (int64_t i = range[2 * s]; i < range[2 * s] + range[2 * s + 1]; ++i)
                if (grid_owner(i, nb, grid->rows) == grid->myrow)
                    vectors->data[lc * lld + local_index(i, nb, grid->rows)] = *in++;
    }
done:
    free(range);
    free(coords);
    free(send_count);
    free(send);
    free(recv);
    if (status != NTK_OK)
        dmatrix_destroy(vectors);
    return status;
}
