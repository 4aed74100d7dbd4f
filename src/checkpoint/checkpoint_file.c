/* Writing and reading the checkpoint file (layout in checkpoint_file.h). */
#include "checkpoint/checkpoint_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/output.h"

enum {
    HEADER_BYTES = 128,
    TABLE_ENTRY_BYTES = 32,
    DATA_ALIGNMENT = 64,
    /* Theta elements per MPI-IO call: MPI counts are C ints. */
    CHUNK_ELEMENTS = 1 << 26,
    /* Sanity bound on the process count read from a file, before allocating. */
    MAX_PROCESSES = 1 << 24,
    /* Theta elements per read of checkpoint_file_read_steps (8 MiB): the
     * buffer a combining run needs beside Theta. */
    STEPS_BUFFER_ELEMENTS = 1 << 20
};

static const char checkpoint_magic[8] = {'N', 'T', 'K', 'C', 'K', 'P', 'T', '1'};

/* Header field offsets. */
enum {
    AT_MAGIC = 0, AT_VERSION = 8, AT_PROCESSES = 12, AT_JOB_HASH = 16, AT_GRID_ROWS = 24,
    AT_GRID_COLS = 28, AT_BLOCK = 32, AT_FLAGS = 36, AT_M_ROWS = 40, AT_M_COLS = 48, AT_STEPS_DONE = 56,
    AT_STEPS_TOTAL = 64, AT_DATA_BYTES = 72, AT_HEADER_CHECKSUM = 80, AT_PIECE_INDEX = 88,
    AT_PIECE_COUNT = 92
};

uint64_t checkpoint_fnv1a(uint64_t hash, const void *bytes, size_t size)
{
    const unsigned char *byte = bytes;
    for (size_t i = 0; i < size; ++i) {
        hash ^= byte[i];
        hash *= UINT64_C(1099511628211);
    }
    return hash;
}

/* Explicit little-endian fields, so the header reads the same everywhere. */
static void put_u64(unsigned char *at, uint64_t value)
{
    for (int i = 0; i < 8; ++i)
        at[i] = (unsigned char)(value >> (8 * i));
}
static void put_u32(unsigned char *at, uint32_t value)
{
    for (int i = 0; i < 4; ++i)
        at[i] = (unsigned char)(value >> (8 * i));
}
static uint64_t get_u64(const unsigned char *at)
{
    uint64_t value = 0;
    for (int i = 7; i >= 0; --i)
        value = (value << 8) | at[i];
    return value;
}
static uint32_t get_u32(const unsigned char *at)
{
    uint32_t value = 0;
    for (int i = 3; i >= 0; --i)
        value = (value << 8) | at[i];
    return value;
}

static int64_t data_start(int64_t processes)
{
    int64_t end = HEADER_BYTES + TABLE_ENTRY_BYTES * processes;
    return (end + DATA_ALIGNMENT - 1) / DATA_ALIGNMENT * DATA_ALIGNMENT;
}

/* The checksum covers the header with its checksum field zeroed, and the table. */
static uint64_t header_checksum(const unsigned char *header_and_table, int64_t processes)
{
    unsigned char header[HEADER_BYTES];
    memcpy(header, header_and_table, HEADER_BYTES);
    put_u64(header + AT_HEADER_CHECKSUM, 0);
    uint64_t hash = checkpoint_fnv1a(CHECKPOINT_FNV_OFFSET, header, HEADER_BYTES);
    return checkpoint_fnv1a(hash, header_and_table + HEADER_BYTES,
                            (size_t)(TABLE_ENTRY_BYTES * processes));
}

static int grid_process_index(const ntk_grid *grid)
{
    return grid->myrow * grid->cols + grid->mycol;
}

/* One table entry as every rank knows it after the allgather. */
typedef struct {
    int64_t offset, local_rows, local_cols;
    uint64_t checksum;
} table_entry;

static ntk_status partial_path(const char *path, char *out)
{
    if (snprintf(out, NTK_PATH_MAX, "%s.partial", path) >= NTK_PATH_MAX)
        return NTK_RAISE(NTK_ERR_IO, "checkpoint path %s is too long", path);
    return NTK_OK;
}

static ntk_status directory_of(const char *path, char *out)
{
    snprintf(out, NTK_PATH_MAX, "%s", path);
    char *slash = strrchr(out, '/');
    if (slash == NULL)
        snprintf(out, NTK_PATH_MAX, ".");
    else if (slash == out)
        out[1] = '\0';
    else
        *slash = '\0';
    return NTK_OK;
}

static ntk_status raise_mpi_io(int code, const char *what, const char *path)
{
    char text[MPI_MAX_ERROR_STRING] = "";
    int length = 0;
    MPI_Error_string(code, text, &length);
    return NTK_RAISE(NTK_ERR_IO, "cannot %s checkpoint %s: %s", what, path, text);
}

/* Collective reads or writes of this rank's `count` doubles at `offset`, in
 * chunks whose counts fit an int; every rank makes the same number of calls.
 * Errors are recorded but the calls go on, so no rank is left in a collective. */
static ntk_status transfer_all(MPI_File file, MPI_Comm comm, int64_t offset, double *data,
                               int64_t count, int writing, const char *path)
{
    long long rounds = (count + CHUNK_ELEMENTS - 1) / CHUNK_ELEMENTS, max_rounds = 0;
    NTK_MPI(MPI_Allreduce(&rounds, &max_rounds, 1, MPI_LONG_LONG, MPI_MAX, comm));
    ntk_status status = NTK_OK;
    for (long long round = 0; round < max_rounds; ++round) {
        int64_t first = round * (int64_t)CHUNK_ELEMENTS;
        int64_t left = count - first;
        int n = left <= 0 ? 0 : (left > CHUNK_ELEMENTS ? CHUNK_ELEMENTS : (int)left);
        MPI_Offset at = (MPI_Offset)(offset + (n > 0 ? first : 0) * (int64_t)sizeof(double));
        double *chunk = n > 0 ? data + first : data;
        MPI_Status io_status;
        int rc = writing ? MPI_File_write_at_all(file, at, chunk, n, MPI_DOUBLE, &io_status)
                         : MPI_File_read_at_all(file, at, chunk, n, MPI_DOUBLE, &io_status);
        int done = 0;
        if (rc == MPI_SUCCESS)
            MPI_Get_count(&io_status, MPI_DOUBLE, &done);
        if (status == NTK_OK && rc != MPI_SUCCESS)
            status = raise_mpi_io(rc, writing ? "write" : "read", path);
        else if (status == NTK_OK && done != n)
            status = NTK_RAISE(NTK_ERR_IO, "checkpoint %s: short %s (%d of %d values)", path,
                               writing ? "write" : "read", done, n);
    }
    return status;
}

/* Every rank learns every process's local size and data checksum, in grid order. */
static ntk_status gather_table(const ntk_grid *grid, const ntk_dmatrix *theta,
                               uint64_t checksum, table_entry *table)
{
    int processes = grid->rows * grid->cols;
    int64_t mine[4] = {grid_process_index(grid), theta->local_rows, theta->local_cols,
                       (int64_t)checksum};
    int64_t *all = NULL;
    ntk_status status = ntk_agree(NTK_CALLOC(all, 4 * (size_t)processes, "checkpoint table"),
                                  grid->comm);
    if (status != NTK_OK) {
        free(all);
        return NTK_FRAME(status);
    }
    MPI_Allgather(mine, 4, MPI_INT64_T, all, 4, MPI_INT64_T, grid->comm);
    for (int rank = 0; rank < processes; ++rank) {
        int64_t index = all[4 * rank];
        table[index].local_rows = all[4 * rank + 1];
        table[index].local_cols = all[4 * rank + 2];
        table[index].checksum = (uint64_t)all[4 * rank + 3];
    }
    free(all);
    int64_t offset = data_start(processes);
    for (int index = 0; index < processes; ++index) {
        table[index].offset = offset;
        offset += table[index].local_rows * table[index].local_cols * (int64_t)sizeof(double);
    }
    return NTK_OK;
}

static void encode_header(const ntk_checkpoint_header *header, int processes,
                          const table_entry *table, int64_t data_bytes, unsigned char *out)
{
    memset(out, 0, (size_t)data_start(processes));
    memcpy(out + AT_MAGIC, checkpoint_magic, sizeof checkpoint_magic);
    put_u32(out + AT_VERSION, CHECKPOINT_FORMAT_VERSION);
    put_u32(out + AT_PROCESSES, (uint32_t)processes);
    put_u64(out + AT_JOB_HASH, header->job_hash);
    put_u32(out + AT_GRID_ROWS, (uint32_t)header->grid_rows);
    put_u32(out + AT_GRID_COLS, (uint32_t)header->grid_cols);
    put_u32(out + AT_BLOCK, (uint32_t)header->block);
    put_u32(out + AT_FLAGS, header->lower_only ? 1u : 0u);
    put_u64(out + AT_M_ROWS, (uint64_t)header->m_rows);
    put_u64(out + AT_M_COLS, (uint64_t)header->m_cols);
    put_u64(out + AT_STEPS_DONE, (uint64_t)header->steps_done);
    put_u64(out + AT_STEPS_TOTAL, (uint64_t)header->steps_total);
    put_u32(out + AT_PIECE_INDEX, (uint32_t)header->piece_index);
    put_u32(out + AT_PIECE_COUNT, (uint32_t)header->piece_count);
    put_u64(out + AT_DATA_BYTES, (uint64_t)data_bytes);
    for (int index = 0; index < processes; ++index) {
        unsigned char *entry = out + HEADER_BYTES + TABLE_ENTRY_BYTES * index;
        put_u64(entry, (uint64_t)table[index].offset);
        put_u64(entry + 8, (uint64_t)table[index].local_rows);
        put_u64(entry + 16, (uint64_t)table[index].local_cols);
        put_u64(entry + 24, table[index].checksum);
    }
    put_u64(out + AT_HEADER_CHECKSUM, header_checksum(out, processes));
}

/* Make the rename durable too: sync the folder that holds the entry. */
static void sync_directory(const char *path)
{
    char dir[NTK_PATH_MAX];
    directory_of(path, dir);
    int fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

static ntk_status write_local(const char *path, const char *partial, const ntk_grid *grid,
                              const ntk_checkpoint_header *header, const ntk_dmatrix *theta,
                              const table_entry *table, int64_t file_bytes)
{
    int processes = grid->rows * grid->cols;
    int64_t start = data_start(processes);
    unsigned char *head = NULL;
    MPI_File file = MPI_FILE_NULL;

    ntk_status status = NTK_OK;
    if (grid->rank == 0) {
        /* Create PATH.partial at full size with its disk space reserved (this
         * also trims a leftover of a crash): Open MPI's collective writes can
         * report success on a full disk, so the disk must refuse here. */
        status = partial_file_reserve(path, file_bytes);
        if (status == NTK_OK)
            status = NTK_CALLOC(head, (size_t)start, "checkpoint header");
        if (status == NTK_OK)
            encode_header(header, processes, table, file_bytes - start, head);
    }
    status = ntk_agree(status, grid->comm);
    int rc = MPI_SUCCESS;
    if (status == NTK_OK) {
        rc = MPI_File_open(grid->comm, partial, MPI_MODE_CREATE | MPI_MODE_WRONLY, MPI_INFO_NULL,
                           &file);
        status = rc == MPI_SUCCESS ? NTK_OK : raise_mpi_io(rc, "create", partial);
        status = ntk_agree(status, grid->comm);
    }
    /* Nothing is open yet: drop the header and the reserved PATH.partial. */
    if (status != NTK_OK) {
        free(head);
        if (grid->rank == 0)
            unlink(partial);
        return NTK_FRAME(status);
    }

    rc = MPI_File_set_size(file, (MPI_Offset)file_bytes);
    status = rc == MPI_SUCCESS ? NTK_OK : raise_mpi_io(rc, "size", partial);
    if (grid->rank == 0 && status == NTK_OK) {
        MPI_Status io_status;
        int done = 0;
        rc = MPI_File_write_at(file, 0, head, (int)start, MPI_BYTE, &io_status);
        if (rc == MPI_SUCCESS)
            MPI_Get_count(&io_status, MPI_BYTE, &done);
        if (rc != MPI_SUCCESS)
            status = raise_mpi_io(rc, "write the header of", partial);
        else if (done != (int)start)
            status = NTK_RAISE(NTK_ERR_IO, "checkpoint %s: short header write", partial);
    }
    free(head);
    status = ntk_agree(status, grid->comm);
    if (status == NTK_OK) {
        const table_entry *mine = &table[grid_process_index(grid)];
        status = transfer_all(file, grid->comm, mine->offset, theta->data,
                              theta->local_rows * theta->local_cols, 1, partial);
        status = ntk_agree(status, grid->comm);
    }
    if (status == NTK_OK) {
        rc = MPI_File_sync(file);
        status = rc == MPI_SUCCESS ? NTK_OK : raise_mpi_io(rc, "sync", partial);
    }
    rc = MPI_File_close(&file);
    if (status == NTK_OK && rc != MPI_SUCCESS)
        status = raise_mpi_io(rc, "close", partial);
    status = ntk_agree(status, grid->comm);

    if (status == NTK_OK && grid->rank == 0) {
        if (rename(partial, path) != 0)
            status = NTK_RAISE(NTK_ERR_IO, "cannot rename checkpoint %s to %s: %s", partial, path,
                               strerror(errno));
        else
            sync_directory(path);
    }
    status = ntk_agree(status, grid->comm);
    /* A failed write must not leave a sparse or half-written PATH.partial. */
    if (status != NTK_OK && grid->rank == 0)
        unlink(partial);
    if (status != NTK_OK)
        return NTK_FRAME(status);
    return NTK_OK;
}

ntk_status checkpoint_file_write(const char *path, const ntk_grid *grid,
                                 const ntk_checkpoint_header *header,
                                 const ntk_dmatrix *theta, int64_t *file_bytes)
{
    char partial[NTK_PATH_MAX], dir[NTK_PATH_MAX];
    NTK_TRY(ntk_agree(partial_path(path, partial), grid->comm));
    directory_of(path, dir);
    NTK_TRY(output_prepare_dir(dir, grid->comm));

    int processes = grid->rows * grid->cols;
    int64_t count = theta->local_rows * theta->local_cols;
    uint64_t checksum = checkpoint_fnv1a(CHECKPOINT_FNV_OFFSET, theta->data,
                                         (size_t)count * sizeof(double));
    table_entry *table = NULL;
    NTK_TRY(ntk_agree(NTK_CALLOC(table, (size_t)processes, "checkpoint table"), grid->comm));
    ntk_status status = gather_table(grid, theta, checksum, table);
    if (status == NTK_OK) {
        const table_entry *last = &table[processes - 1];
        *file_bytes = last->offset + last->local_rows * last->local_cols * (int64_t)sizeof(double);
        status = write_local(path, partial, grid, header, theta, table, *file_bytes);
    }
    free(table);
    if (status != NTK_OK)
        return NTK_FRAME(status);
    return NTK_OK;
}

/* Rank 0: read and check the header and table against this run. On success
 * `table` (allocated here) holds the decoded table. */
static ntk_status read_header(MPI_File file, const char *path, const ntk_grid *grid,
                              const ntk_checkpoint_header *expected,
                              ntk_checkpoint_header *found, table_entry **table_out)
{
    *table_out = NULL;
    MPI_Offset size = 0;
    int rc = MPI_File_get_size(file, &size);
    if (rc != MPI_SUCCESS)
        return raise_mpi_io(rc, "get the size of", path);
    if (size < HEADER_BYTES)
        return NTK_RAISE(NTK_ERR_IO, "checkpoint %s is truncated (%lld of at least %d bytes); remove it",
                         path, (long long)size, HEADER_BYTES);

    unsigned char header[HEADER_BYTES];
    MPI_Status io_status;
    int header_read = 0;
    rc = MPI_File_read_at(file, 0, header, HEADER_BYTES, MPI_BYTE, &io_status);
    if (rc == MPI_SUCCESS)
        rc = MPI_Get_count(&io_status, MPI_BYTE, &header_read);
    if (rc != MPI_SUCCESS)
        return raise_mpi_io(rc, "read", path);
    if (header_read != HEADER_BYTES)
        return NTK_RAISE(NTK_ERR_IO, "checkpoint %s is truncated (read %d of %d header bytes); "
                         "remove it", path, header_read, HEADER_BYTES);
    if (memcmp(header + AT_MAGIC, checkpoint_magic, sizeof checkpoint_magic) != 0)
        return NTK_RAISE(NTK_ERR_IO, "%s is not an ntkgram checkpoint (bad magic); remove it", path);
    uint32_t version = get_u32(header + AT_VERSION);
    if (version != CHECKPOINT_FORMAT_VERSION)
        return NTK_RAISE(NTK_ERR_IO, "checkpoint %s has format version %u; this ntkgram reads version %d; remove it",
                         path, version, CHECKPOINT_FORMAT_VERSION);
    uint32_t processes = get_u32(header + AT_PROCESSES);
    int64_t data_bytes = (int64_t)get_u64(header + AT_DATA_BYTES);
    /* data_bytes is bounded so start + data_bytes below cannot overflow. */
    if (processes == 0 || processes > MAX_PROCESSES || data_bytes < 0 ||
        data_bytes > INT64_MAX - data_start(MAX_PROCESSES))
        return NTK_RAISE(NTK_ERR_IO, "checkpoint %s is corrupt (impossible header values); remove it",
                         path);
    int64_t start = data_start(processes);
    if (size < start)
        return NTK_RAISE(NTK_ERR_IO, "checkpoint %s is truncated (%lld of %lld bytes); remove it",
                         path, (long long)size, (long long)(start + data_bytes));

    unsigned char *head = NULL;
    NTK_TRY(NTK_CALLOC(head, (size_t)start, "checkpoint header"));
    int done = 0;
    rc = MPI_File_read_at(file, 0, head, (int)start, MPI_BYTE, &io_status);
    if (rc == MPI_SUCCESS)
        MPI_Get_count(&io_status, MPI_BYTE, &done);
    if (rc != MPI_SUCCESS || done != (int)start) {
        free(head);
        return rc != MPI_SUCCESS ? raise_mpi_io(rc, "read", path)
                                 : NTK_RAISE(NTK_ERR_IO, "checkpoint %s: short read of the header", path);
    }
    if (header_checksum(head, processes) != get_u64(head + AT_HEADER_CHECKSUM)) {
        free(head);
        return NTK_RAISE(NTK_ERR_IO, "checkpoint %s is corrupt (header checksum mismatch); remove it",
                         path);
    }

    found->job_hash = get_u64(head + AT_JOB_HASH);
    found->grid_rows = (int)get_u32(head + AT_GRID_ROWS);
    found->grid_cols = (int)get_u32(head + AT_GRID_COLS);
    found->block = (int)get_u32(head + AT_BLOCK);
    found->lower_only = (int)(get_u32(head + AT_FLAGS) & 1u);
    found->m_rows = (int64_t)get_u64(head + AT_M_ROWS);
    found->m_cols = (int64_t)get_u64(head + AT_M_COLS);
    found->steps_done = (int64_t)get_u64(head + AT_STEPS_DONE);
    found->steps_total = (int64_t)get_u64(head + AT_STEPS_TOTAL);
    found->piece_index = (int)(get_u32(head + AT_PIECE_INDEX) & 0x7fffffffu);
    found->piece_count = (int)(get_u32(head + AT_PIECE_COUNT) & 0x7fffffffu);

    ntk_status status = NTK_OK;
    /* The grid first: the job hash covers grid.shape too, and "run with the
     * same grid" is the more useful message when only the grid differs. */
    if (found->grid_rows != expected->grid_rows || found->grid_cols != expected->grid_cols ||
        found->block != expected->block ||
        (int64_t)processes != (int64_t)grid->rows * grid->cols)
        status = NTK_RAISE(NTK_ERR_JOB,
                           "checkpoint %s was written on a %dx%d grid with block %d; this run has %dx%d with block %d; run with the same grid or remove it",
                           path, found->grid_rows, found->grid_cols, found->block,
                           expected->grid_rows, expected->grid_cols, expected->block);
    else if (found->job_hash != expected->job_hash)
        status = NTK_RAISE(NTK_ERR_JOB,
                           "checkpoint %s belongs to another job (hash %016llx, this job %016llx); remove it or use another output.dir",
                           path, (unsigned long long)found->job_hash,
                           (unsigned long long)expected->job_hash);
    else if (found->m_rows != expected->m_rows || found->m_cols != expected->m_cols)
        status = NTK_RAISE(NTK_ERR_JOB,
                           "checkpoint %s holds a %lldx%lld Theta; this run has %lldx%lld; remove it",
                           path, (long long)found->m_rows, (long long)found->m_cols,
                           (long long)expected->m_rows, (long long)expected->m_cols);
    else if (found->lower_only && !expected->lower_only)
        status = NTK_RAISE(NTK_ERR_JOB,
                           "checkpoint %s holds only the lower triangle of Theta (written by a run without output.theta); this run needs the whole matrix; remove it",
                           path);
    else if (found->steps_done < 0 || found->steps_total < found->steps_done)
        status = NTK_RAISE(NTK_ERR_IO, "checkpoint %s is corrupt (step %lld of %lld); remove it",
                           path, (long long)found->steps_done, (long long)found->steps_total);
    else if (found->piece_count > 0 && found->piece_index >= found->piece_count)
        status = NTK_RAISE(NTK_ERR_IO, "checkpoint %s is corrupt (piece %d of %d); remove it",
                           path, found->piece_index, found->piece_count);
    else if (size < start + data_bytes)
        status = NTK_RAISE(NTK_ERR_IO, "checkpoint %s is truncated (%lld of %lld bytes); remove it",
                           path, (long long)size, (long long)(start + data_bytes));
    else if (size > start + data_bytes)
        status = NTK_RAISE(NTK_ERR_IO, "checkpoint %s has %lld bytes, %lld expected; remove it",
                           path, (long long)size, (long long)(start + data_bytes));

    table_entry *table = NULL;
    if (status == NTK_OK)
        status = NTK_CALLOC(table, processes, "checkpoint table");
    for (uint32_t index = 0; status == NTK_OK && index < processes; ++index) {
        const unsigned char *entry = head + HEADER_BYTES + TABLE_ENTRY_BYTES * index;
        table[index].offset = (int64_t)get_u64(entry);
        table[index].local_rows = (int64_t)get_u64(entry + 8);
        table[index].local_cols = (int64_t)get_u64(entry + 16);
        table[index].checksum = get_u64(entry + 24);
        /* Bound the block by the bytes after its offset before any product
         * (the fields are untrusted and the product may overflow). */
        const int64_t rows = table[index].local_rows, cols = table[index].local_cols;
        const int64_t offset = table[index].offset;
        /* start <= offset <= size first: size - offset then cannot overflow
         * (an offset near -2^63 did, found by fuzz_checkpoint_header). */
        if (offset < start || offset > size || rows < 0 || cols < 0 ||
            (cols > 0 && rows > (size - offset) / (int64_t)sizeof(double) / cols))
            status = NTK_RAISE(NTK_ERR_IO, "checkpoint %s is corrupt (bad table entry %u); remove it",
                               path, index);
    }
    free(head);
    if (status != NTK_OK) {
        free(table);
        return status;
    }
    *table_out = table;
    return NTK_OK;
}

int checkpoint_file_holds_step(const ntk_checkpoint_header *header, int64_t step)
{
    return step < header->steps_done &&
           (header->piece_count < 1 || step % header->piece_count == header->piece_index);
}

/* The data of checkpoint_file_read_steps: this process's block through a
 * bounded buffer, every value into the checksum, the columns of the steps
 * the file holds and `present` lacks into theta. Collective (every rank
 * makes the same number of reads); the status is not agreed here. */
static ntk_status read_steps_data(MPI_File file, const ntk_grid *grid, const table_entry *mine,
                                  const ntk_checkpoint_header *found,
                                  const unsigned char *present, ntk_dmatrix *theta,
                                  const char *path)
{
    const int64_t rows = theta->local_rows, count = rows * theta->local_cols;
    const int64_t span = (int64_t)grid->block * rows; /* one step's local columns */
    /* Testing aid: NTK_TEST_READ_BUFFER_VALUES=B reads B values at a time,
     * so a small test makes several reads that cross its steps'
     * boundaries, some ranks more than others. */
    int64_t buffer_values = STEPS_BUFFER_ELEMENTS;
    ntk_status status = NTK_OK;
    const char *test_values = getenv("NTK_TEST_READ_BUFFER_VALUES");
    if (test_values != NULL && test_values[0] != '\0') {
        char *end = NULL;
        const long long parsed = strtoll(test_values, &end, 10);
        if (*end != '\0' || parsed < 1 || parsed > STEPS_BUFFER_ELEMENTS)
            status = NTK_RAISE(NTK_ERR_USAGE, "environment variable NTK_TEST_READ_BUFFER_VALUES: "
                               "expected an integer in [1, %d], got '%s'",
                               (int)STEPS_BUFFER_ELEMENTS, test_values);
        else
            buffer_values = parsed;
    }
    const int64_t per_read = count < buffer_values ? count : buffer_values;
    double *buffer = NULL;
    if (status == NTK_OK)
        status = NTK_CALLOC(buffer, (size_t)per_read + 1, "checkpoint read buffer");
    long long rounds = per_read > 0 ? (count + per_read - 1) / per_read : 0, max_rounds = 0;
    NTK_MPI(MPI_Allreduce(&rounds, &max_rounds, 1, MPI_LONG_LONG, MPI_MAX, grid->comm));
    uint64_t hash = CHECKPOINT_FNV_OFFSET;
    for (long long round = 0; round < max_rounds; ++round) {
        const int64_t first = round * per_read;
        const int n = status != NTK_OK || first >= count
                          ? 0
                          : (int)(count - first < per_read ? count - first : per_read);
        MPI_Status io_status;
        int done = 0;
        int rc = MPI_File_read_at_all(file, (MPI_Offset)(mine->offset + (n > 0 ? first : 0) *
                                                                          (int64_t)sizeof(double)),
                                      buffer, n, MPI_DOUBLE, &io_status);
        if (rc == MPI_SUCCESS)
            MPI_Get_count(&io_status, MPI_DOUBLE, &done);
        if (status == NTK_OK && rc != MPI_SUCCESS)
            status = raise_mpi_io(rc, "read", path);
        else if (status == NTK_OK && done != n)
            status = NTK_RAISE(NTK_ERR_IO, "checkpoint %s: short read (%d of %d values)", path,
                               done, n);
        if (status != NTK_OK || n == 0)
            continue;
        hash = checkpoint_fnv1a(hash, buffer, (size_t)n * sizeof(double));
        for (int64_t at = first; at < first + n;) {
            const int64_t step = at / span;
            const int64_t end = (step + 1) * span < first + n ? (step + 1) * span : first + n;
            if (checkpoint_file_holds_step(found, step) && !present[step])
                memcpy(theta->data + at, buffer + (at - first),
                       (size_t)(end - at) * sizeof(double));
            at = end;
        }
    }
    free(buffer);
    if (status == NTK_OK && hash != mine->checksum)
        status = NTK_RAISE(NTK_ERR_IO,
                           "checkpoint %s is corrupt (the block of grid process (%d,%d) fails its checksum); remove it",
                           path, grid->myrow, grid->mycol);
    return status;
}

/* Open `path`, check its header against `expected` and this rank's block
 * against theta's; the header in *found, this process's table entry in
 * *mine. Collective; the status is agreed; on success the file is open. */
static ntk_status open_checked(const char *path, const ntk_grid *grid,
                               const ntk_checkpoint_header *expected, const ntk_dmatrix *theta,
                               ntk_checkpoint_header *found, table_entry *mine,
                               MPI_File *file_out)
{
    MPI_File file = MPI_FILE_NULL;
    int rc = MPI_File_open(grid->comm, path, MPI_MODE_RDONLY, MPI_INFO_NULL, &file);
    ntk_status status = rc == MPI_SUCCESS ? NTK_OK : raise_mpi_io(rc, "open", path);
    NTK_TRY(ntk_agree(status, grid->comm));

    int processes = grid->rows * grid->cols;
    table_entry *table = NULL;
    if (grid->rank == 0) {
        table_entry *read_table = NULL;
        status = read_header(file, path, grid, expected, found, &read_table);
        table = read_table;
    } else {
        status = NTK_CALLOC(table, (size_t)processes, "checkpoint table");
    }
    status = ntk_agree(status, grid->comm);
    if (status == NTK_OK) {
        /* The header check matched the process count, so every rank's table is as long. */
        MPI_Bcast(found, (int)sizeof *found, MPI_BYTE, 0, grid->comm);
        MPI_Bcast(table, (int)(sizeof *table * (size_t)processes), MPI_BYTE, 0, grid->comm);
        *mine = table[grid_process_index(grid)];
        if (mine->local_rows != theta->local_rows || mine->local_cols != theta->local_cols)
            status = NTK_RAISE(NTK_ERR_IO,
                               "checkpoint %s is corrupt (process (%d,%d) has a %lldx%lld block, %lldx%lld expected); remove it",
                               path, grid->myrow, grid->mycol, (long long)mine->local_rows,
                               (long long)mine->local_cols, (long long)theta->local_rows,
                               (long long)theta->local_cols);
        status = ntk_agree(status, grid->comm);
    }
    free(table);
    if (status != NTK_OK) {
        MPI_File_close(&file);
        return NTK_FRAME(status);
    }
    *file_out = file;
    return NTK_OK;
}

ntk_status checkpoint_file_read_steps(const char *path, const ntk_grid *grid,
                                      const ntk_checkpoint_header *expected, int64_t steps,
                                      unsigned char *present, ntk_dmatrix *theta,
                                      ntk_checkpoint_header *found, int64_t *taken)
{
    MPI_File file = MPI_FILE_NULL;
    table_entry mine;
    *taken = 0;
    NTK_TRY(open_checked(path, grid, expected, theta, found, &mine, &file));
    ntk_status status = NTK_OK;
    if (found->steps_total != steps)
        status = NTK_RAISE(NTK_ERR_JOB, "checkpoint %s was written for an assembly of %lld "
                           "steps; this run has %lld; remove it",
                           path, (long long)found->steps_total, (long long)steps);
    else
        status = ntk_agree(read_steps_data(file, grid, &mine, found, present, theta, path),
                           grid->comm);
    MPI_File_close(&file);
    if (status != NTK_OK)
        return NTK_FRAME(status);
    for (int64_t step = 0; step < steps; ++step)
        if (checkpoint_file_holds_step(found, step) && !present[step]) {
            present[step] = 1;
            ++*taken;
        }
    return NTK_OK;
}

ntk_status checkpoint_file_read(const char *path, const ntk_grid *grid,
                                const ntk_checkpoint_header *expected, ntk_dmatrix *theta,
                                ntk_checkpoint_header *found)
{
    MPI_File file = MPI_FILE_NULL;
    table_entry mine;
    NTK_TRY(open_checked(path, grid, expected, theta, found, &mine, &file));
    int64_t count = theta->local_rows * theta->local_cols;
    ntk_status status = transfer_all(file, grid->comm, mine.offset, theta->data, count, 0, path);
    if (status == NTK_OK &&
        checkpoint_fnv1a(CHECKPOINT_FNV_OFFSET, theta->data, (size_t)count * sizeof(double)) !=
            mine.checksum)
        status = NTK_RAISE(NTK_ERR_IO,
                           "checkpoint %s is corrupt (the block of grid process (%d,%d) fails its checksum); remove it",
                           path, grid->myrow, grid->mycol);
    status = ntk_agree(status, grid->comm);
    MPI_File_close(&file);
    if (status != NTK_OK)
        return NTK_FRAME(status);
    return NTK_OK;
}
