/* A block-cyclic distributed matrix written as one .npy file with MPI-IO.
 *
 * The file is Fortran order: element (i, j) sits at header + 8 (i + j rows)
 * (4 for a float32 matrix, '<f4').
 * MPI_Type_create_darray describes exactly the elements a process owns in
 * that global column-major array, in the order of its local column-major
 * ScaLAPACK buffer, so one collective write_all through that file view puts
 * every local element in place with no packing. darray numbers processes in
 * row-major grid order, so it gets the BLACS rank myrow * cols + mycol, which
 * need not be the MPI rank.
 *
 * Every step is followed by ntk_agree, so a failure on one rank ends the
 * write on all ranks, and the file only appears under its final name (rank 0
 * renames PATH.partial) once every byte is written, counted and synced. On
 * failure rank 0 removes PATH.partial, so nothing of the file is left. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "format/npy.h"
#include "output/output.h"

/* Elements per block of the buffer datatype used when a local buffer holds
 * more than INT_MAX elements (MPI counts are ints). */
enum { NPY_WRITE_CHUNK = 1 << 20 };

static ntk_status mpi_io_error(const char *path, const char *what, int code)
{
    char text[MPI_MAX_ERROR_STRING] = "";
    int length = 0;
    MPI_Error_string(code, text, &length);
    return NTK_RAISE(NTK_ERR_IO, "%s: cannot write (%s): %s", path, what, text);
}

/* The entries of a distributed matrix as the writer sees them: float64
 * (ntk_dmatrix) or float32 (ntk_smatrix, kernel.precision float32). */
typedef struct {
    int64_t rows, cols, local_rows, local_cols;
    const void *data;
    MPI_Datatype element; /* MPI_DOUBLE or MPI_FLOAT */
    int element_bytes;    /* 8 or 4 */
} matrix_entries;

/* The datatype and count that describe `elements` contiguous entries with
 * an int count: element x elements when it fits, else one derived type of
 * (elements / chunk) chunks plus the remainder. */
static ntk_status buffer_type(const matrix_entries *matrix, int64_t elements, MPI_Datatype *type,
                              int *count, int *derived)
{
    *derived = 0;
    if (elements <= INT_MAX) {
        *type = matrix->element;
        *count = (int)elements;
        return NTK_OK;
    }
    const int64_t chunks = elements / NPY_WRITE_CHUNK;
    const int64_t remainder = elements % NPY_WRITE_CHUNK;
    MPI_Datatype chunk_type, chunks_type;
    NTK_MPI(MPI_Type_contiguous(NPY_WRITE_CHUNK, matrix->element, &chunk_type));
    NTK_MPI(MPI_Type_contiguous((int)chunks, chunk_type, &chunks_type));
    int lengths[2] = {1, (int)remainder};
    MPI_Aint displacements[2] = {0, (MPI_Aint)(chunks * NPY_WRITE_CHUNK * (int64_t)matrix->element_bytes)};
    MPI_Datatype members[2] = {chunks_type, matrix->element};
    NTK_MPI(MPI_Type_create_struct(2, lengths, displacements, members, type));
    NTK_MPI(MPI_Type_commit(type));
    MPI_Type_free(&chunk_type);
    MPI_Type_free(&chunks_type);
    *count = 1;
    *derived = 1;
    return NTK_OK;
}

/* The file view of this process: its elements of the global Fortran-order
 * matrix under the block-cyclic distribution. */
static ntk_status darray_type(const ntk_grid *grid, const matrix_entries *matrix, MPI_Datatype *type)
{
    if (matrix->rows > INT_MAX || matrix->cols > INT_MAX)
        return NTK_RAISE(NTK_ERR_IO, "matrix of %lld x %lld is too large for MPI-IO darray",
                         (long long)matrix->rows, (long long)matrix->cols);
    int sizes[2] = {(int)matrix->rows, (int)matrix->cols};
    int distributions[2] = {MPI_DISTRIBUTE_CYCLIC, MPI_DISTRIBUTE_CYCLIC};
    int blocks[2] = {grid->block, grid->block};
    int processes[2] = {grid->rows, grid->cols};
    int grid_rank = grid->myrow * grid->cols + grid->mycol;
    NTK_MPI(MPI_Type_create_darray(grid->rows * grid->cols, grid_rank, 2, sizes, distributions,
                                   blocks, processes, MPI_ORDER_FORTRAN, matrix->element, type));
    NTK_MPI(MPI_Type_commit(type));
    return NTK_OK;
}

static ntk_status write_matrix_npy(const char *path, const ntk_grid *grid,
                                   const matrix_entries *matrix)
{
    MPI_Comm comm = grid->comm;
    int rank = 0;
    MPI_Comm_rank(comm, &rank);

    char partial[PARTIAL_PATH_MAX];
    char header[256];
    size_t header_length = 0;
    ntk_status status = partial_file_name(path, partial);
    if (status == NTK_OK && grid->rows * grid->cols != grid->size)
        status = NTK_RAISE(NTK_ERR_INTERNAL, "%s: grid %d x %d does not span its %d ranks", path,
                           grid->rows, grid->cols, grid->size);
    if (status == NTK_OK)
        status = npy_build_header_of(matrix->element_bytes, matrix->rows, matrix->cols, 1, header,
                                     sizeof header, &header_length);
    NTK_TRY(ntk_agree(status, comm));

    const int64_t local_elements = matrix->local_rows * matrix->local_cols;
    const MPI_Offset total = (MPI_Offset)header_length +
                             (MPI_Offset)matrix->rows * (MPI_Offset)matrix->cols *
                                 matrix->element_bytes;

    /* Rank 0 creates PATH.partial at its full size with the disk space
     * reserved: Open MPI's collective write reports success and a full count
     * even when the file system refused the data, so a full disk must show
     * here. The truncation also drops stale bytes of an older, longer file. */
    if (rank == 0)
        status = partial_file_reserve(path, (int64_t)total);
    NTK_TRY(ntk_agree(status, comm));

    MPI_File file = MPI_FILE_NULL;
    /* CREATE as well: a rank on another node whose cache has not seen rank
     * 0's new file yet (NFS) still opens the same file. */
    int code = MPI_File_open(comm, partial, MPI_MODE_CREATE | MPI_MODE_WRONLY, MPI_INFO_NULL,
                             &file);
    if (code != MPI_SUCCESS)
        status = mpi_io_error(path, "open", code);
    status = ntk_agree(status, comm);
    if (status != NTK_OK) {
        /* Some rank could not open: a collective close could hang, so the
         * handles of ranks that did open are left to MPI_Finalize. */
        if (rank == 0)
            remove(partial);
        return status;
    }

    MPI_Datatype file_type = MPI_DATATYPE_NULL, memory_type = matrix->element;
    int memory_count = 0, memory_derived = 0, have_file_type = 0;

    if (rank == 0) {
        MPI_Status io;
        int written = -1;
        code = MPI_File_write_at(file, 0, header, (int)header_length, MPI_BYTE, &io);
        if (code == MPI_SUCCESS)
            code = MPI_Get_count(&io, MPI_BYTE, &written);
        if (code != MPI_SUCCESS)
            status = mpi_io_error(path, "header", code);
        else if (written != (int)header_length)
            status = NTK_RAISE(NTK_ERR_IO, "%s: cannot write: short header write (%d of %zu "
                               "bytes)", path, written, header_length);
    }
    if (status == NTK_OK)
        status = darray_type(grid, matrix, &file_type);
    if (status == NTK_OK)
        have_file_type = 1;
    if (status == NTK_OK)
        status = buffer_type(matrix, local_elements, &memory_type, &memory_count, &memory_derived);
    NTK_TRY_GOTO(status, ntk_agree(status, comm), close_file);

    code = MPI_File_set_view(file, (MPI_Offset)header_length, matrix->element, file_type, "native",
                             MPI_INFO_NULL);
    if (code != MPI_SUCCESS)
        status = mpi_io_error(path, "set view", code);
    NTK_TRY_GOTO(status, ntk_agree(status, comm), close_file);

    MPI_Status io;
    MPI_Count written = -1;
    code = MPI_File_write_all(file, matrix->data, memory_count, memory_type, &io);
    if (code == MPI_SUCCESS)
        code = MPI_Get_elements_x(&io, matrix->element, &written);
    if (code != MPI_SUCCESS)
        status = mpi_io_error(path, "write", code);
    else if (written != (MPI_Count)local_elements)
        status = NTK_RAISE(NTK_ERR_IO, "%s: cannot write: short write (%lld of %lld values)",
                           path, (long long)written, (long long)local_elements);
    NTK_TRY_GOTO(status, ntk_agree(status, comm), close_file);

    /* Deferred write errors (NFS, quotas) show at sync; data must be durable
     * before the rename makes the file look complete. */
    code = MPI_File_sync(file);
    if (code != MPI_SUCCESS)
        status = mpi_io_error(path, "sync", code);
    NTK_TRY_GOTO(status, ntk_agree(status, comm), close_file);

close_file:
    code = MPI_File_close(&file);
    if (code != MPI_SUCCESS && status == NTK_OK)
        status = mpi_io_error(path, "close", code);
    if (have_file_type)
        MPI_Type_free(&file_type);
    if (memory_derived)
        MPI_Type_free(&memory_type);
    status = ntk_agree(status, comm);

    if (status == NTK_OK && rank == 0) {
        if (rename(partial, path) != 0)
            status = NTK_RAISE(NTK_ERR_IO, "%s: cannot rename from %s: %s", path, partial,
                               strerror(errno));
        else
            partial_file_sync_directory(path);
    }
    status = ntk_agree(status, comm);
    if (status != NTK_OK && rank == 0)
        remove(partial);
    return status;
}

ntk_status output_write_dmatrix_npy(const char *path, const ntk_grid *grid,
                                    const ntk_dmatrix *matrix)
{
    const matrix_entries entries = {matrix->rows, matrix->cols, matrix->local_rows,
                                    matrix->local_cols, matrix->data, MPI_DOUBLE, 8};
    return write_matrix_npy(path, grid, &entries);
}

ntk_status output_write_smatrix_npy(const char *path, const ntk_grid *grid,
                                    const ntk_smatrix *matrix)
{
    const matrix_entries entries = {matrix->rows, matrix->cols, matrix->local_rows,
                                    matrix->local_cols, matrix->data, MPI_FLOAT, 4};
    return write_matrix_npy(path, grid, &entries);
}
