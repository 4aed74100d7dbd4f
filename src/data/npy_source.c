/* Rows of a .npy file: only the rows asked for are read, with pread, one
 * read per contiguous run of rows (per column for Fortran order), in bounded
 * pieces, converted to host float64 and checked for NaN/Inf. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/data_internal.h"
#include "format/npy.h"

enum { NPY_SCRATCH_BYTES = 8 << 20 }; /* bounds the buffer of converted reads */

/* "(30, 3, 1)": the dimensions as the file writes them. */
static const char *dims_text(const npy_header *header, char *text, size_t size)
{
    size_t used = (size_t)snprintf(text, size, "(");
    for (int d = 0; d < header->ndim && used < size; ++d)
        used += (size_t)snprintf(text + used, size - used, "%s%lld", d > 0 ? ", " : "",
                                 (long long)header->dims[d]);
    if (used < size)
        snprintf(text + used, size - used, ")");
    return text;
}

/* Targets are (N) or (N, k): a 3-D or 4-D file is not read as (N, k) with k
 * the product of the rest (a (30, 3, 1) array is not 3 outputs by accident). */
static ntk_status check_targets_rank(const char *path, const char *role_name,
                                     const npy_header *header)
{
    if (strcmp(role_name, "targets") != 0 || header->ndim <= 2)
        return NTK_OK;
    char text[128];
    return NTK_RAISE(NTK_ERR_DATA, "%s: targets have shape %s; expected (N) or (N, k)", path,
                     dims_text(header, text, sizeof text));
}

ntk_status data_npy_shape(const char *path, const char *role_name, int64_t *rows, int64_t *cols)
{
    npy_header header;
    NTK_TRY(npy_read_header(path, &header));
    NTK_TRY(check_targets_rank(path, role_name, &header));
    *rows = header.shape[0];
    *cols = header.shape[1];
    return NTK_OK;
}

ntk_status data_npy_input_shape(const char *path, int *rank, int64_t dims[3])
{
    npy_header header;
    NTK_TRY(npy_read_header(path, &header));
    *rank = header.ndim <= 2 ? 1 : header.ndim - 1;
    if (header.ndim <= 2)
        dims[0] = header.shape[1];
    else
        for (int d = 1; d < header.ndim; ++d)
            dims[d - 1] = header.dims[d];
    return NTK_OK;
}

/* The file column (Fortran order, the array seen as N x cols) of C-order
 * column j: for (N, d1, d2, d3) the value (n, i1, i2, i3) sits at
 * n + N (i1 + d1 (i2 + d2 i3)), while row n holds it at (i1 d2 + i2) d3 + i3. */
static int64_t fortran_column(const npy_header *header, int64_t j)
{
    int64_t index[3] = {0, 0, 0}, column = 0;
    for (int d = header->ndim - 1; d >= 1; --d) {
        index[d - 1] = j % header->dims[d];
        j /= header->dims[d];
    }
    for (int d = header->ndim - 1; d >= 1; --d)
        column = column * header->dims[d] + index[d - 1];
    return header->ndim <= 2 ? index[0] : column;
}

/* pread all `bytes` at `offset`, retrying short reads. */
static ntk_status read_exactly(int fd, const char *path, void *buffer, size_t bytes,
                               int64_t offset)
{
    char *cursor = buffer;
    while (bytes > 0) {
        ssize_t got = pread(fd, cursor, bytes, (off_t)offset);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return NTK_RAISE(NTK_ERR_DATA, "%s: read failed: %s", path, strerror(errno));
        if (got == 0)
            return NTK_RAISE(NTK_ERR_DATA, "%s: truncated .npy file (end of file at byte %lld)",
                             path, (long long)offset);
        cursor += got;
        bytes -= (size_t)got;
        offset += got;
    }
    return NTK_OK;
}

static void reverse_bytes(unsigned char *item, int size)
{
    for (int i = 0; i < size / 2; ++i) {
        unsigned char t = item[i];
        item[i] = item[size - 1 - i];
        item[size - 1 - i] = t;
    }
}

/* Element `e` of a raw buffer as host float64. */
static double element_value(const npy_header *header, unsigned char *raw, size_t e)
{
    if (header->dtype == NPY_FLOAT64) {
        unsigned char *item = raw + 8 * e;
        if (header->swap_bytes)
            reverse_bytes(item, 8);
        double value;
        memcpy(&value, item, 8);
        return value;
    }
    unsigned char *item = raw + 4 * e;
    if (header->swap_bytes)
        reverse_bytes(item, 4);
    float value;
    memcpy(&value, item, 4);
    return (double)value;
}

/* Read `elements` consecutive file elements starting at element `first` and
 * store element e at values[e * stride]. */
static ntk_status read_strip(int fd, const char *path, const npy_header *header,
                             unsigned char *scratch, size_t scratch_elements, int64_t first,
                             int64_t elements, double *values, int64_t stride)
{
    const int item = header->dtype == NPY_FLOAT64 ? 8 : 4;
    /* Native float64 into a contiguous destination needs no conversion. */
    if (stride == 1 && header->dtype == NPY_FLOAT64 && !header->swap_bytes)
        return read_exactly(fd, path, values, (size_t)elements * 8,
                            header->data_offset + first * 8);
    for (int64_t done = 0; done < elements;) {
        int64_t piece = elements - done;
        if (piece > (int64_t)scratch_elements)
            piece = (int64_t)scratch_elements;
        NTK_TRY(read_exactly(fd, path, scratch, (size_t)piece * (size_t)item,
                             header->data_offset + (first + done) * item));
        for (int64_t e = 0; e < piece; ++e)
            values[(done + e) * stride] = element_value(header, scratch, (size_t)e);
        done += piece;
    }
    return NTK_OK;
}

ntk_status data_npy_read_rows(const char *path, const char *role_name, const int64_t *index,
                              int64_t count, int64_t cols, double *values)
{
    npy_header header;
    NTK_TRY(npy_read_header(path, &header));
    NTK_TRY(check_targets_rank(path, role_name, &header));
    const int64_t rows = header.shape[0];
    if (header.shape[1] != cols)
        return NTK_RAISE(NTK_ERR_DATA, "%s: has %lld columns, expected %lld", path,
                         (long long)header.shape[1], (long long)cols);
    if (count > 0 && index[count - 1] >= rows)
        return NTK_RAISE(NTK_ERR_DATA, "%s: has %lld rows, row %lld was asked for", path,
                         (long long)rows, (long long)index[count - 1]);
    if (count == 0 || cols == 0)
        return NTK_OK;

    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NTK_RAISE(NTK_ERR_DATA, "%s: cannot open: %s", path, strerror(errno));
    const size_t item = header.dtype == NPY_FLOAT64 ? 8 : 4;
    size_t scratch_elements = NPY_SCRATCH_BYTES / item;
    unsigned char *scratch = NULL;
    ntk_status status = NTK_CALLOC(scratch, scratch_elements * item, "the .npy read buffer");

    /* Walk the row list in runs of consecutive rows. */
    for (int64_t start = 0; status == NTK_OK && start < count;) {
        int64_t end = start + 1;
        while (end < count && index[end] == index[end - 1] + 1)
            ++end;
        const int64_t run = end - start;
        if (!header.fortran_order) {
            /* Rows are contiguous in the file: the run is one strip. */
            status = read_strip(fd, path, &header, scratch, scratch_elements,
                                index[start] * cols, run * cols, values + start * cols, 1);
        } else {
            /* Column-major: each column holds the run contiguously. */
            for (int64_t c = 0; status == NTK_OK && c < cols; ++c)
                status = read_strip(fd, path, &header, scratch, scratch_elements,
                                    fortran_column(&header, c) * rows + index[start], run,
                                    values + start * cols + c,
                                    cols);
        }
        start = end;
    }
    free(scratch);
    close(fd);
    NTK_TRY(status);
    return data_check_finite(path, index, count, cols, values);
}
