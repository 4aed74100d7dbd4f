/* Own contiguous rows <-> the block-cyclic layout (cg.h), one
 * MPI_Alltoallv each way: every element travels once, from the rank whose
 * own rows hold it to the process that holds it in the block-cyclic matrix,
 * or back. The order of the elements between a pair of ranks is column by
 * column (global column ascending), rows ascending, on both sides. */
#include "predict/cg/cg.h"

#include <limits.h>
#include <stdlib.h>

enum { DESC_LLD = 8 };

/* Local index of global index `global` on its owner. */
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

typedef struct {
    int ranks;
    int64_t *range; /* first row, rows of each rank */
    int *coords;    /* grid row, grid column of each rank */
    int *count;     /* own rows -> block-cyclic: [0, ranks) to each, [ranks, 2 ranks) from each */
    int *offset;
    double *own_side, *cyclic_side;
} exchange;

static void exchange_free(exchange *e)
{
    free(e->range);
    free(e->coords);
    free(e->count);
    free(e->offset);
    free(e->own_side);
    free(e->cyclic_side);
}

/* The plan: what this rank's own rows send to each rank (own_side counts)
 * and what its block-cyclic part receives from each (cyclic side). */
static ntk_status exchange_plan(const ntk_grid *grid, const ntk_dmatrix *a, int64_t first_row,
                                int64_t own_rows, exchange *e)
{
    MPI_Comm comm = grid->comm;
    MPI_Comm_size(comm, &e->ranks);
    const int ranks = e->ranks, nb = grid->block;
    ntk_status status = NTK_CALLOC(e->range, 2 * (int64_t)ranks, "row ranges");
    if (status == NTK_OK)
        status = NTK_CALLOC(e->coords, 2 * (int64_t)ranks, "grid coordinates");
    if (status == NTK_OK)
        status = NTK_CALLOC(e->count, 2 * (int64_t)ranks, "exchange counts");
    if (status == NTK_OK)
        status = NTK_CALLOC(e->offset, 2 * (int64_t)ranks, "exchange offsets");
    NTK_TRY(ntk_agree(status, comm));
    const int64_t mine[2] = {first_row, own_rows};
    const int my_coords[2] = {grid->myrow, grid->mycol};
    NTK_MPI(MPI_Allgather(mine, 2, MPI_INT64_T, e->range, 2, MPI_INT64_T, comm));
    NTK_MPI(MPI_Allgather(my_coords, 2, MPI_INT, e->coords, 2, MPI_INT, comm));
    int64_t own_total = 0, cyclic_total = 0;
    for (int p = 0; p < ranks; ++p) {
        const int64_t out = rows_owned_by(first_row, own_rows, nb, e->coords[2 * p], grid->rows) *
                            grid_local_count(a->cols, nb, e->coords[2 * p + 1], grid->cols);
        const int64_t in = rows_owned_by(e->range[2 * p], e->range[2 * p + 1], nb, grid->myrow,
                                         grid->rows) *
                           a->local_cols;
        if (out > INT_MAX || in > INT_MAX || own_total + out > INT_MAX ||
            cyclic_total + in > INT_MAX) {
            status = NTK_RAISE(NTK_ERR_MEMORY,
                               "predict.solver cg: %lld x %lld is too large to redistribute in "
                               "one exchange on %d ranks (more ranks)",
                               (long long)a->rows, (long long)a->cols, ranks);
            break;
        }
        e->count[p] = (int)out;
        e->offset[p] = (int)own_total;
        e->count[ranks + p] = (int)in;
        e->offset[ranks + p] = (int)cyclic_total;
        own_total += out;
        cyclic_total += in;
    }
    if (status == NTK_OK)
        status = NTK_CALLOC(e->own_side, own_total > 0 ? own_total : 1, "row exchange");
    if (status == NTK_OK)
        status = NTK_CALLOC(e->cyclic_side, cyclic_total > 0 ? cyclic_total : 1, "row exchange");
    return ntk_agree(status, comm);
}

/* Walk this rank's own-row elements in exchange order: to_cyclic 1 packs
 * them from `own`, 0 unpacks into it. */
static void walk_own(const ntk_grid *grid, const exchange *e, int64_t cols, int64_t first_row,
                     int64_t own_rows, double *own, int64_t ld, int to_cyclic)
{
    const int nb = grid->block;
    for (int p = 0; p < e->ranks; ++p) {
        double *at = e->own_side + e->offset[p];
        const int64_t local_cols = grid_local_count(cols, nb, e->coords[2 * p + 1], grid->cols);
        for (int64_t lc = 0; lc < local_cols; ++lc) {
            const int64_t j = grid_global_index(lc, nb, e->coords[2 * p + 1], grid->cols);
            for (int64_t r = 0; r < own_rows; ++r)
                if (grid_owner(first_row + r, nb, grid->rows) == e->coords[2 * p]) {
                    if (to_cyclic)
                        *at++ = own[j * ld + r];
                    else
                        own[j * ld + r] = *at++;
                }
        }
    }
}

/* The same for the block-cyclic side. */
static void walk_cyclic(const ntk_grid *grid, const exchange *e, ntk_dmatrix *a, int to_cyclic)
{
    const int nb = grid->block;
    const int64_t lld = a->desc[DESC_LLD];
    for (int s = 0; s < e->ranks; ++s) {
        double *at = e->cyclic_side + e->offset[e->ranks + s];
        for (int64_t lc = 0; lc < a->local_cols; ++lc)
            for (int64_t i = e->range[2 * s]; i < e->range[2 * s] + e->range[2 * s + 1]; ++i)
                if (grid_owner(i, nb, grid->rows) == grid->myrow) {
                    double *element = a->data + lc * lld + local_index(i, nb, grid->rows);
                    if (to_cyclic)
                        *element = *at++;
                    else
                        *at++ = *element;
                }
    }
}

ntk_status cg_rows_to_dmatrix(const ntk_grid *grid, const double *in, int64_t ld,
                              int64_t first_row, int64_t own_rows, ntk_dmatrix *a)
{
    exchange e = {0};
    ntk_status status = exchange_plan(grid, a, first_row, own_rows, &e);
    if (status == NTK_OK) {
        walk_own(grid, &e, a->cols, first_row, own_rows, (double *)in, ld, 1);
        int rc = MPI_Alltoallv(e.own_side, e.count, e.offset, MPI_DOUBLE, e.cyclic_side,
                               e.count + e.ranks, e.offset + e.ranks, MPI_DOUBLE, grid->comm);
        if (rc != MPI_SUCCESS)
            status = ntk_raise_mpi(rc, "MPI_Alltoallv", __FILE__, __LINE__);
        else
            walk_cyclic(grid, &e, a, 1);
    }
    exchange_free(&e);
    return status;
}

ntk_status cg_rows_from_dmatrix(const ntk_grid *grid, const ntk_dmatrix *a, int64_t first_row,
                                int64_t own_rows, double *out, int64_t ld)
{
    exchange e = {0};
    ntk_status status = exchange_plan(grid, a, first_row, own_rows, &e);
    if (status == NTK_OK) {
        walk_cyclic(grid, &e, (ntk_dmatrix *)a, 0);
        int rc = MPI_Alltoallv(e.cyclic_side, e.count + e.ranks, e.offset + e.ranks, MPI_DOUBLE,
                               e.own_side, e.count, e.offset, MPI_DOUBLE, grid->comm);
        if (rc != MPI_SUCCESS)
            status = ntk_raise_mpi(rc, "MPI_Alltoallv", __FILE__, __LINE__);
        else
            walk_own(grid, &e, a->cols, first_row, own_rows, out, ld, 0);
    }
    exchange_free(&e);
    return status;
}
