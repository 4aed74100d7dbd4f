/* kernel_exchange: deliver per-item vectors (features or raw inputs) from the
 * rank that computed them (its own contiguous block, grid_own_block) to every
 * rank whose local rows or columns of Theta need them.
 *
 * Every rank can work out on its own which items any process row or column
 * needs (block-cyclic arithmetic), so one MPI_Alltoall of counts and one
 * MPI_Alltoallv per direction suffice. Counts are in items with a contiguous
 * datatype of `width` doubles, which keeps them far below the 2^31 limit of
 * MPI's int counts. Own blocks ascend with the rank, so concatenating the
 * received pieces in rank order leaves the items in ascending order.
 *
 * kernel_item_union_create/_share (kernel_local.h, used by the structured
 * method) deliver instead ONE set for both axes, the own vectors computed in
 * place: less memory to touch and less to send (see below). */
#include <stdlib.h>
#include <string.h>

#include "kernel/kernel.h"

void kernel_item_set_free(ntk_item_set *set)
{
    free(set->item);
    free(set->vectors);
    set->item = NULL;
    set->vectors = NULL;
    set->count = 0;
}

/* Does process coordinate `proc` (of `nprocs`) hold any of item's matrix indices? */
static int item_touches(int64_t item, int64_t per_item, int64_t matrix_size, int block, int proc,
                        int nprocs)
{
    int64_t first = item * per_item;
    int64_t end = first + per_item < matrix_size ? first + per_item : matrix_size;
    /* Walk block by block: at most nprocs blocks before every owner was seen. */
    for (int64_t g = first, seen = 0; g < end && seen < nprocs; ++seen) {
        if (grid_owner(g, block, nprocs) == proc)
            return 1;
        g = (g / block + 1) * block;
    }
    return 0;
}

/* The items (ascending, distinct) behind local rows (by_rows) or columns. */
static ntk_status needed_items(const ntk_grid *grid, int64_t per_item, int64_t matrix_size,
                               int by_rows, int64_t **items, int64_t *count)
{
    int proc = by_rows ? grid->myrow : grid->mycol;
    int nprocs = by_rows ? grid->rows : grid->cols;
    int64_t local = grid_local_count(matrix_size, grid->block, proc, nprocs);
    NTK_TRY(NTK_CALLOC(*items, local + 1, "exchanged item list"));
    int64_t n = 0;
    for (int64_t i = 0; i < local; ++i) {
        int64_t item = grid_global_index(i, grid->block, proc, nprocs) / per_item;
        if (n == 0 || (*items)[n - 1] != item)
            (*items)[n++] = item;
    }
    *count = n;
    return NTK_OK;
}

/* One direction (rows or columns): local preparation, then agree, then the
 * collectives. Every rank reaches the collectives or returns after agreeing. */
static ntk_status exchange_direction(const ntk_grid *grid, int64_t n_items, int64_t per_item,
                                     int64_t matrix_size, int64_t width,
                                     const double *own_vectors, int by_rows, ntk_item_set *out,
                                     double **send_buffer, int64_t *send_capacity)
{
    int size = grid->size;
    int64_t own_first, own_count;
    grid_own_block(n_items, size, grid->rank, &own_first, &own_count);

    int *send_counts = NULL, *send_offsets = NULL, *recv_counts = NULL, *recv_offsets = NULL;
    const double *send_from = NULL;
    out->count = 0;
    out->item = NULL;
    out->vectors = NULL;
    int64_t needed = 0, send_total = 0;
    ntk_status status = NTK_OK;
    NTK_TRY_GOTO(status, needed_items(grid, per_item, matrix_size, by_rows, &out->item, &needed), agree);
    NTK_TRY_GOTO(status, NTK_CALLOC(send_counts, size, "exchange counts"), agree);
    NTK_TRY_GOTO(status, NTK_CALLOC(send_offsets, size, "exchange counts"), agree);
    NTK_TRY_GOTO(status, NTK_CALLOC(recv_counts, size, "exchange counts"), agree);
    NTK_TRY_GOTO(status, NTK_CALLOC(recv_offsets, size, "exchange counts"), agree);
    /* Rank r sits at (r / cols, r % cols): the grid is row-major (grid.h).
     * When the own items each rank needs form one run (a 1 x P grid's rows,
     * for instance), they are sent straight from own_vectors; otherwise they
     * are packed per destination. Skipping the copy matters: fresh memory
     * costs page faults comparable to the arithmetic on some machines. */
    int all_runs = 1;
    for (int r = 0; r < size; ++r) {
        int proc = by_rows ? r / grid->cols : r % grid->cols;
        int nprocs = by_rows ? grid->rows : grid->cols;
        int64_t count = 0, run_first = -1, run_last = -1;
        for (int64_t i = 0; i < own_count; ++i)
            if (item_touches(own_first + i, per_item, matrix_size, grid->block, proc, nprocs)) {
                ++count;
                if (run_first < 0)
                    run_first = i;
                run_last = i;
            }
        if (count > 0 && run_last - run_first + 1 != count)
            all_runs = 0;
        if (count > 2147483647LL || send_total + count > 2147483647LL || own_count > 2147483647LL) {
            status = NTK_RAISE(NTK_ERR_MEMORY, "kernel exchange: more than 2^31 items for one rank");
            goto agree;
        }
        send_counts[r] = (int)count;
        send_offsets[r] = (int)(count > 0 ? run_first : 0); /* used when all_runs */
        send_total += count;
    }
    NTK_TRY_GOTO(status, NTK_CALLOC(out->vectors, needed * width + 1, "exchanged vectors"), agree);
    if (all_runs) {
        send_from = own_vectors;
    } else {
        if (send_total * width + 1 > *send_capacity) {
            free(*send_buffer);
            *send_capacity = 0;
            NTK_TRY_GOTO(status, NTK_CALLOC(*send_buffer, send_total * width + 1, "exchange send buffer"), agree);
            *send_capacity = send_total * width + 1;
        }
        int64_t at = 0;
        for (int r = 0; r < size; ++r) {
            int proc = by_rows ? r / grid->cols : r % grid->cols;
            int nprocs = by_rows ? grid->rows : grid->cols;
            send_offsets[r] = (int)at;
            for (int64_t i = 0; i < own_count; ++i)
                if (item_touches(own_first + i, per_item, matrix_size, grid->block, proc, nprocs))
                    memcpy(*send_buffer + (at++) * width, own_vectors + i * width,
                           (size_t)width * sizeof *own_vectors);
        }
        send_from = *send_buffer;
    }

agree:
    status = ntk_agree(status, grid->comm);
    if (status != NTK_OK)
        goto done;
    {
        MPI_Datatype vector_type;
        int rc = MPI_Type_contiguous((int)width, MPI_DOUBLE, &vector_type);
        if (rc == MPI_SUCCESS)
            rc = MPI_Type_commit(&vector_type);
        if (rc == MPI_SUCCESS)
            rc = MPI_Alltoall(send_counts, 1, MPI_INT, recv_counts, 1, MPI_INT, grid->comm);
        int64_t received = 0;
        for (int r = 0; rc == MPI_SUCCESS && r < size; ++r) {
            recv_offsets[r] = (int)received;
            received += recv_counts[r];
        }
        /* What arrives must be exactly the items this rank computed it needs:
         * anything else is a bug in the block-cyclic arithmetic. */
        if (rc != MPI_SUCCESS)
            status = ntk_raise_mpi(rc, "MPI_Alltoall", __FILE__, __LINE__);
        else if (received != needed)
            status = NTK_RAISE(NTK_ERR_INTERNAL, "kernel exchange: expected %lld items, got %lld",
                               (long long)needed, (long long)received);
        status = ntk_agree(status, grid->comm);
        if (status == NTK_OK) {
            rc = MPI_Alltoallv(send_from, send_counts, send_offsets, vector_type, out->vectors,
                               recv_counts, recv_offsets, vector_type, grid->comm);
            if (rc != MPI_SUCCESS)
                status = ntk_raise_mpi(rc, "MPI_Alltoallv", __FILE__, __LINE__);
        }
        MPI_Type_free(&vector_type);
    }
    out->count = needed;

done:
    free(send_counts);
    free(send_offsets);
    free(recv_counts);
    free(recv_offsets);
    if (status != NTK_OK)
        kernel_item_set_free(out);
    return status;
}

/* An empty `out`, and the shape every exchange entry point checks: items of
 * `per_item` matrix indices covering `matrix_size`, vectors an MPI count
 * long, at most `max_items` items. */
static ntk_status exchange_start(ntk_item_set *out, int64_t n_items, int64_t per_item,
                                 int64_t matrix_size, int64_t width, int64_t max_items)
{
    out->count = 0;
    out->item = NULL;
    out->vectors = NULL;
    if (width < 1 || width > 2147483647LL || per_item < 1 || n_items * per_item != matrix_size ||
        n_items > max_items)
        return NTK_RAISE(NTK_ERR_INTERNAL, "kernel exchange: bad shape (items %lld x %lld, size %lld, width %lld)",
                         (long long)n_items, (long long)per_item, (long long)matrix_size,
                         (long long)width);
    return NTK_OK;
}

ntk_status kernel_exchange(const ntk_grid *grid, int64_t n_items, int64_t per_item,
                           int64_t matrix_size, int64_t width, const double *own_vectors,
                           ntk_item_set *rows, ntk_item_set *cols)
{
    NTK_TRY(exchange_start(cols, n_items, per_item, matrix_size, width, INT64_MAX));
    /* One send buffer serves both directions: fresh memory costs page faults. */
    double *send_buffer = NULL;
    int64_t send_capacity = 0;
    ntk_status status = exchange_direction(grid, n_items, per_item, matrix_size, width, own_vectors,
                                           1, rows, &send_buffer, &send_capacity);
    if (status == NTK_OK)
        status = exchange_direction(grid, n_items, per_item, matrix_size, width, own_vectors, 0,
                                    cols, &send_buffer, &send_capacity);
    free(send_buffer);
    if (status != NTK_OK) {
        kernel_item_set_free(rows);
        return NTK_FRAME(status);
    }
    return NTK_OK;
}

ntk_status kernel_exchange_axis(const ntk_grid *grid, int64_t n_items, int64_t per_item,
                                int64_t matrix_size, int64_t width, const double *own_vectors,
                                int by_rows, ntk_item_set *out)
{
    NTK_TRY(exchange_start(out, n_items, per_item, matrix_size, width, INT64_MAX));
    double *send_buffer = NULL;
    int64_t send_capacity = 0;
    ntk_status status = exchange_direction(grid, n_items, per_item, matrix_size, width, own_vectors,
                                           by_rows, out, &send_buffer, &send_capacity);
    free(send_buffer);
    return status;
}

/* ---- One item set for both axes (kernel_local.h) ----
 *
 * Each rank keeps one set: the items behind its local rows, its local columns
 * and its own block. The own block is a contiguous run of the set, so the
 * caller computes its own vectors straight into place; every other item comes
 * from its owner by point-to-point messages whose send side is an indexed
 * datatype over that run. Nothing is packed or copied, and items needed by
 * both axes (on a 1 x P grid every column item is also a row item) are held
 * and sent once. */

/* Is `item` needed by the rank at grid coordinates (prow, pcol)? */
static int item_needed_by(const ntk_grid *grid, int64_t item, int64_t per_item, int64_t matrix_size,
                          int prow, int pcol)
{
    return item_touches(item, per_item, matrix_size, grid->block, prow, grid->rows) ||
           item_touches(item, per_item, matrix_size, grid->block, pcol, grid->cols);
}

ntk_status kernel_item_union_create(const ntk_grid *grid, int64_t n_items, int64_t per_item,
                                    int64_t matrix_size, int64_t width, ntk_item_set *set,
                                    int64_t *own_position)
{
    *own_position = 0;
    /* Its point-to-point messages count items in ints. */
    NTK_TRY(exchange_start(set, n_items, per_item, matrix_size, width, 2147483647LL));
    int64_t own_first, own_count;
    grid_own_block(n_items, grid->size, grid->rank, &own_first, &own_count);
    int64_t *rows = NULL, *cols = NULL, n_rows = 0, n_cols = 0;
    ntk_status status = needed_items(grid, per_item, matrix_size, 1, &rows, &n_rows);
    if (status == NTK_OK)
        status = needed_items(grid, per_item, matrix_size, 0, &cols, &n_cols);
    if (status == NTK_OK)
        status = NTK_CALLOC(set->item, n_rows + n_cols + own_count + 1, "exchanged item list");
    if (status != NTK_OK) {
        free(rows);
        free(cols);
        kernel_item_set_free(set);
        return status;
    }
    /* Three-way merge of ascending lists, dropping duplicates. */
    int64_t a = 0, b = 0, own = 0, n = 0;
    for (;;) {
        int64_t next = INT64_MAX;
        if (a < n_rows && rows[a] < next)
            next = rows[a];
        if (b < n_cols && cols[b] < next)
            next = cols[b];
        if (own < own_count && own_first + own < next)
            next = own_first + own;
        if (next == INT64_MAX)
            break;
        if (next == own_first)
            *own_position = n;
        set->item[n++] = next;
        a += a < n_rows && rows[a] == next;
        b += b < n_cols && cols[b] == next;
        own += own < own_count && own_first + own == next;
    }
    set->count = n;
    free(rows);
    free(cols);
    status = NTK_CALLOC(set->vectors, n * width + 1, "exchanged vectors");
    if (status != NTK_OK)
        kernel_item_set_free(set);
    return status;
}

/* The own items rank `peer` needs, as runs of positions relative to the own
 * block: an indexed datatype over `vector_type`. Returns the item count. */
static ntk_status own_items_for_peer(const ntk_grid *grid, int64_t per_item, int64_t matrix_size,
                                     int64_t own_first, int64_t own_count, int peer,
                                     MPI_Datatype vector_type, int *runs_lengths, int *runs_starts,
                                     MPI_Datatype *type, int64_t *items)
{
    int prow = peer / grid->cols, pcol = peer % grid->cols, runs = 0;
    *items = 0;
    for (int64_t i = 0; i < own_count; ++i) {
        if (!item_needed_by(grid, own_first + i, per_item, matrix_size, prow, pcol))
            continue;
        if (runs > 0 && runs_starts[runs - 1] + runs_lengths[runs - 1] == i) {
            ++runs_lengths[runs - 1];
        } else {
            runs_starts[runs] = (int)i;
            runs_lengths[runs++] = 1;
        }
        ++*items;
    }
    int rc = MPI_Type_indexed(runs, runs_lengths, runs_starts, vector_type, type);
    if (rc == MPI_SUCCESS)
        rc = MPI_Type_commit(type);
    if (rc != MPI_SUCCESS)
        return ntk_raise_mpi(rc, "MPI_Type_indexed", __FILE__, __LINE__);
    return NTK_OK;
}

ntk_status kernel_item_union_share(const ntk_grid *grid, int64_t n_items, int64_t per_item,
                                   int64_t matrix_size, int64_t width, ntk_item_set *set)
{
    const int size = grid->size;
    int64_t own_first, own_count;
    grid_own_block(n_items, size, grid->rank, &own_first, &own_count);
    MPI_Request *requests = NULL;
    MPI_Datatype *send_types = NULL;
    int64_t *send_items = NULL;
    int *run_lengths = NULL, *run_starts = NULL, n_types = 0, n_requests = 0;
    MPI_Datatype vector_type = MPI_DATATYPE_NULL;

    /* Local preparation: every datatype and buffer, then agree, so that no
     * rank posts a message a failed peer would never match. */
    ntk_status status = NTK_OK;
    int rc = MPI_Type_contiguous((int)width, MPI_DOUBLE, &vector_type);
    if (rc == MPI_SUCCESS)
        rc = MPI_Type_commit(&vector_type);
    if (rc != MPI_SUCCESS) {
        vector_type = MPI_DATATYPE_NULL;
        status = ntk_raise_mpi(rc, "MPI_Type_contiguous", __FILE__, __LINE__);
    }
    if (status == NTK_OK)
        status = NTK_CALLOC(requests, 2 * size + 1, "exchange requests");
    if (status == NTK_OK)
        status = NTK_CALLOC(send_types, size + 1, "exchange datatypes");
    if (status == NTK_OK)
        status = NTK_CALLOC(send_items, size + 1, "exchange counts");
    if (status == NTK_OK)
        status = NTK_CALLOC(run_lengths, own_count + 1, "exchange runs");
    if (status == NTK_OK)
        status = NTK_CALLOC(run_starts, own_count + 1, "exchange runs");
    for (int peer = 0; status == NTK_OK && peer < size; ++peer) {
        send_types[peer] = MPI_DATATYPE_NULL;
        if (peer == grid->rank)
            continue;
        status = own_items_for_peer(grid, per_item, matrix_size, own_first, own_count, peer,
                                    vector_type, run_lengths, run_starts, &send_types[peer],
                                    &send_items[peer]);
        if (status == NTK_OK)
            n_types = peer + 1;
    }
    status = ntk_agree(status, grid->comm);

    if (status == NTK_OK) {
        /* The own run's place, and per peer the contiguous run of the set that
         * its block fills (items ascend, and a peer's block is a range). */
        int64_t own_position = 0;
        while (own_position < set->count && set->item[own_position] < own_first)
            ++own_position;
        for (int peer = 0; rc == MPI_SUCCESS && peer < size; ++peer) {
            if (peer == grid->rank)
                continue;
            int64_t first, count;
            grid_own_block(n_items, size, peer, &first, &count);
            int64_t at = 0;
            while (at < set->count && set->item[at] < first)
                ++at;
            int64_t end = at;
            while (end < set->count && set->item[end] < first + count)
                ++end;
            if (end > at)
                rc = MPI_Irecv(set->vectors + at * width, (int)(end - at), vector_type, peer, 0,
                               grid->comm, &requests[n_requests++]);
        }
        for (int peer = 0; rc == MPI_SUCCESS && peer < size; ++peer)
            if (peer != grid->rank && send_items[peer] > 0)
                rc = MPI_Isend(set->vectors + own_position * width, 1, send_types[peer], peer, 0,
                               grid->comm, &requests[n_requests++]);
        /* Sender and receiver derive the counts from the same block-cyclic
         * arithmetic: a mismatch (MPI_ERR_TRUNCATE) is an internal bug. */
        if (rc == MPI_SUCCESS && n_requests > 0)
            rc = MPI_Waitall(n_requests, requests, MPI_STATUSES_IGNORE);
        if (rc != MPI_SUCCESS)
            status = ntk_raise_mpi(rc, "kernel exchange messages", __FILE__, __LINE__);
        status = ntk_agree(status, grid->comm);
    }
    for (int t = 0; t < n_types; ++t)
        if (send_types[t] != MPI_DATATYPE_NULL)
            MPI_Type_free(&send_types[t]);
    if (vector_type != MPI_DATATYPE_NULL)
        MPI_Type_free(&vector_type);
    free(requests);
    free(send_types);
    free(send_items);
    free(run_lengths);
    free(run_starts);
    return status;
}
