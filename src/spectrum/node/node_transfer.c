/* Moving -Theta to rank 0 and the eigenvectors back for the single-node
 * solver (gather_lapack.c), with plain MPI messages instead of ScaLAPACK's
 * PDTRMR2D/PDGEMR2D.
 *
 * Each rank's share of a block-cyclic matrix maps to rank 0's whole array
 * by the block-cyclic index arithmetic alone, so the transfer needs no
 * general redistribution: in the gather each rank sends, column by column,
 * the local rows at and below the diagonal (contiguous in its local array:
 * every local row past the first one that is >= the column's index), and
 * rank 0 places them by row blocks; in the scatter rank 0 packs each rank's
 * rows column by column in that rank's local order, which the rank receives
 * straight into its local array. Messages carry whole columns, at most 2^20
 * doubles (8 MiB) unless one column is longer: small buffers, reused while
 * warm (with 1 GiB messages the fresh buffer's first touch made the first
 * scatter several times slower). The same for floats (kernel.precision
 * float32: the counts in entries, the messages half the bytes). Both
 * directions measured faster than
 * PDTRMR2D/PDGEMR2D (docs/design.md, "The single-node eigensolver", has the
 * times). */
#include "spectrum/node/node_transfer.h"

#include <stdlib.h>
#include <string.h>

#include "core/memory.h"

enum { MESSAGE_DOUBLES = 1 << 20, TAG_GATHER = 71, TAG_SCATTER = 72 };

/* The entries moved: doubles, or floats for kernel.precision float32 (the
 * same counts; a float message is half the bytes). */
typedef struct {
    size_t size;
    MPI_Datatype type;
} element;

static const element DOUBLES = {sizeof(double), MPI_DOUBLE};
static const element FLOATS = {sizeof(float), MPI_FLOAT};

typedef struct {
    int64_t rows, cols;             /* global */
    int64_t local_rows, local_cols; /* of the rank described */
    int block, prow, pcol, grid_rows, grid_cols;
} share;

static share share_of(const ntk_grid *grid, int64_t rows, int64_t cols, int block, int rank)
{
    share s = {.rows = rows, .cols = cols, .block = block, .prow = rank / grid->cols,
               .pcol = rank % grid->cols, .grid_rows = grid->rows, .grid_cols = grid->cols};
    s.local_rows = grid_local_count(rows, block, s.prow, grid->rows);
    s.local_cols = grid_local_count(cols, block, s.pcol, grid->cols);
    return s;
}

/* The first local row of the share whose global row is >= `global`. */
static int64_t first_local_row_from(const share *s, int64_t global)
{
    return grid_local_count(global, s->block, s->prow, s->grid_rows);
}

/* Local rows [from, to) of column `j` between rank 0's column-major array
 * (ld rows) and `packed`: runs of consecutive global rows, one row block at
 * a time. `to_array` chooses the direction. */
static void move_rows(const share *s, int64_t j, int64_t from, int64_t to, char *array,
                      char *packed, int to_array, size_t size)
{
    int64_t local = from;
    while (local < to) {
        const int64_t global = grid_global_index(local, s->block, s->prow, s->grid_rows);
        const int64_t in_block = s->block - global % s->block;
        const int64_t run = in_block < to - local ? in_block : to - local;
        char *place = array + (size_t)(global + j * s->rows) * size;
        if (to_array)
            memcpy(place, packed + (size_t)(local - from) * size, (size_t)run * size);
        else
            memcpy(packed + (size_t)(local - from) * size, place, (size_t)run * size);
        local += run;
    }
}

/* Local columns [first, last) of the share whose lower part (gather) or
 * whole (scatter) fits one message, starting at `first`. */
static int64_t panel_end(const share *s, int64_t first, int lower)
{
    int64_t doubles = 0, last = first;
    while (last < s->local_cols) {
        const int64_t j = grid_global_index(last, s->block, s->pcol, s->grid_cols);
        const int64_t count = s->local_rows - (lower ? first_local_row_from(s, j) : 0);
        if (last > first && doubles + count > MESSAGE_DOUBLES)
            break;
        doubles += count;
        last++;
    }
    return last;
}

/* Doubles in the largest message of the share (whole columns, at most
 * MESSAGE_DOUBLES unless one column is larger). */
static int64_t message_capacity(const share *s)
{
    const int64_t whole = s->local_rows * s->local_cols;
    const int64_t cap = s->local_rows > MESSAGE_DOUBLES ? s->local_rows : MESSAGE_DOUBLES;
    return whole < cap ? whole : cap;
}

/* Received exactly `expected` doubles? */
static ntk_status check_count(const MPI_Status *received, MPI_Datatype type, int64_t expected,
                              const char *what)
{
    int count = 0;
    NTK_MPI(MPI_Get_count(received, type, &count));
    if (count != expected)
        return NTK_RAISE(NTK_ERR_MPI, "%s: received %d values, expected %lld", what, count,
                         (long long)expected);
    return NTK_OK;
}

static void check_layout(const int *desc, const ntk_grid *grid, int *block, ntk_status *status)
{
    *block = desc[4];
    if (desc[4] != desc[5] || desc[6] != 0 || desc[7] != 0 || *block < 1 ||
        desc[1] != grid->context)
        *status = NTK_RAISE(NTK_ERR_INTERNAL,
                            "node transfer: expected square blocks from process (0, 0) on the "
                            "grid's context");
}

/* node_gather_lower for doubles or floats: the n x n matrix of `desc`, local `data`. */
static ntk_status gather_lower(const ntk_grid *grid, int64_t n, const int *desc, const char *data,
                               char *a, element e)
{
    int block = 1;
    ntk_status status = NTK_OK;
    check_layout(desc, grid, &block, &status);
    NTK_TRY(ntk_agree(status, grid->comm));
    const share mine = share_of(grid, n, n, block, grid->rank);
    const int64_t lld = mine.local_rows > 1 ? mine.local_rows : 1;
    int64_t capacity = grid->rank == 0 ? 0 : message_capacity(&mine);
    for (int r = 1; grid->rank == 0 && r < grid->size; r++) {
        const share s = share_of(grid, n, n, block, r);
        const int64_t c = message_capacity(&s);
        capacity = c > capacity ? c : capacity;
    }
    char *buffer = NULL;
    status = ntk_agree(NTK_ALLOC_UNZEROED(buffer, (size_t)(capacity > 0 ? capacity : 1) * e.size,
                                          "gather message buffer"),
                       grid->comm);
    if (status != NTK_OK) {
        free(buffer);
        return status;
    }
    if (grid->rank == 0) {
        for (int64_t c = 0; c < mine.local_cols; c++) { /* rank 0's own part */
            const int64_t j = grid_global_index(c, block, mine.pcol, mine.grid_cols);
            const int64_t from = first_local_row_from(&mine, j);
            move_rows(&mine, j, from, mine.local_rows, a,
                      (char *)data + (size_t)(from + c * lld) * e.size, 1, e.size);
        }
        /* every message is received even after a bad one: a sender left
         * waiting would hang */
        for (int r = 1; r < grid->size; r++) {
            const share s = share_of(grid, n, n, block, r);
            for (int64_t first = 0; first < s.local_cols;) {
                const int64_t last = panel_end(&s, first, 1);
                int64_t expected = 0;
                for (int64_t c = first; c < last; c++)
                    expected += s.local_rows -
                                first_local_row_from(&s, grid_global_index(c, block, s.pcol,
                                                                           s.grid_cols));
                MPI_Status received;
                NTK_MPI(MPI_Recv(buffer, (int)capacity, e.type, r, TAG_GATHER, grid->comm,
                                 &received));
                const ntk_status counted =
                    check_count(&received, e.type, expected, "gather to rank 0");
                if (status == NTK_OK)
                    status = counted;
                char *packed = buffer;
                for (int64_t c = first; counted == NTK_OK && c < last; c++) {
                    const int64_t j = grid_global_index(c, block, s.pcol, s.grid_cols);
                    const int64_t from = first_local_row_from(&s, j);
                    move_rows(&s, j, from, s.local_rows, a, packed, 1, e.size);
                    packed += (size_t)(s.local_rows - from) * e.size;
                }
                first = last;
            }
        }
    } else {
        for (int64_t first = 0; first < mine.local_cols;) {
            const int64_t last = panel_end(&mine, first, 1);
            char *packed = buffer;
            for (int64_t c = first; c < last; c++) {
                const int64_t j = grid_global_index(c, block, mine.pcol, mine.grid_cols);
                const int64_t from = first_local_row_from(&mine, j);
                memcpy(packed, data + (size_t)(from + c * lld) * e.size,
                       (size_t)(mine.local_rows - from) * e.size);
                packed += (size_t)(mine.local_rows - from) * e.size;
            }
            NTK_MPI(MPI_Send(buffer, (int)((size_t)(packed - buffer) / e.size), e.type, 0,
                             TAG_GATHER, grid->comm));
            first = last;
        }
    }
    free(buffer);
    return ntk_agree(status, grid->comm);
}

ntk_status node_gather_lower(const ntk_grid *grid, const ntk_dmatrix *distributed, double *a)
{
    return gather_lower(grid, distributed->rows, distributed->desc, (const char *)distributed->data,
                        (char *)a, DOUBLES);
}

ntk_status node_gather_lower_float(const ntk_grid *grid, const ntk_smatrix *distributed, float *a)
{
    return gather_lower(grid, distributed->rows, distributed->desc, (const char *)distributed->data,
                        (char *)a, FLOATS);
}

/* node_scatter_columns for doubles or floats. */
static ntk_status scatter_columns(const ntk_grid *grid, const char *z, int64_t n, int64_t cols,
                                  const int *desc, char *data, element e)
{
    int block = 1;
    ntk_status status = NTK_OK;
    check_layout(desc, grid, &block, &status);
    NTK_TRY(ntk_agree(status, grid->comm));
    const share mine = share_of(grid, n, cols, block, grid->rank);
    const int64_t lld = mine.local_rows > 1 ? mine.local_rows : 1;
    char *buffer = NULL;
    int64_t capacity = 0;
    for (int r = 1; grid->rank == 0 && r < grid->size; r++) {
        const share s = share_of(grid, n, cols, block, r);
        const int64_t c = message_capacity(&s);
        capacity = c > capacity ? c : capacity;
    }
    if (grid->rank == 0)
        status = NTK_ALLOC_UNZEROED(buffer, (size_t)(capacity > 0 ? capacity : 1) * e.size,
                                    "scatter message buffer");
    status = ntk_agree(status, grid->comm);
    if (status != NTK_OK) {
        free(buffer);
        return status;
    }
    if (grid->rank != 0) {
        for (int64_t first = 0; first < mine.local_cols;) {
            const int64_t last = panel_end(&mine, first, 0);
            const int64_t count = (last - first) * mine.local_rows;
            MPI_Status received;
            NTK_MPI(MPI_Recv(data + (size_t)(first * lld) * e.size, (int)count, e.type, 0,
                             TAG_SCATTER, grid->comm, &received));
            const ntk_status counted =
                check_count(&received, e.type, count, "eigenvectors from rank 0");
            if (status == NTK_OK)
                status = counted;
            first = last;
        }
        return ntk_agree(status, grid->comm);
    }
    for (int r = 1; r < grid->size; r++) {
        const share s = share_of(grid, n, cols, block, r);
        for (int64_t first = 0; first < s.local_cols;) {
            const int64_t last = panel_end(&s, first, 0);
            char *packed = buffer;
            for (int64_t c = first; c < last; c++) {
                const int64_t j = grid_global_index(c, block, s.pcol, s.grid_cols);
                move_rows(&s, j, 0, s.local_rows, (char *)z, packed, 0, e.size);
                packed += (size_t)s.local_rows * e.size;
            }
            NTK_MPI(MPI_Send(buffer, (int)((size_t)(packed - buffer) / e.size), e.type, r,
                             TAG_SCATTER, grid->comm));
            first = last;
        }
    }
    for (int64_t c = 0; c < mine.local_cols; c++) {
        const int64_t j = grid_global_index(c, block, mine.pcol, mine.grid_cols);
        move_rows(&mine, j, 0, mine.local_rows, (char *)z, data + (size_t)(c * lld) * e.size, 0,
                  e.size);
    }
    free(buffer);
    return ntk_agree(status, grid->comm);
}

ntk_status node_scatter_columns(const ntk_grid *grid, const double *z, ntk_dmatrix *distributed)
{
    return scatter_columns(grid, (const char *)z, distributed->rows, distributed->cols,
                           distributed->desc, (char *)distributed->data, DOUBLES);
}

ntk_status node_scatter_columns_float(const ntk_grid *grid, const float *z,
                                      ntk_smatrix *distributed)
{
    return scatter_columns(grid, (const char *)z, distributed->rows, distributed->cols,
                           distributed->desc, (char *)distributed->data, FLOATS);
}
