/* The .npy format: the header prelude, header building and small local
 * writes (see npy.h). The dict itself is parsed by npy_dict.c. */
#include "format/npy.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/partial_file.h"
#include "format/npy_dict.h"

enum {
    NPY_PRELUDE_V1 = 10,          /* magic(6) + version(2) + uint16 length */
    NPY_PRELUDE_V2 = 12,          /* magic(6) + version(2) + uint32 length */
    NPY_HEADER_LIMIT = 1 << 24,   /* refuse absurd dicts rather than allocate them */
    NPY_ALIGNMENT = 64
};

static const char npy_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

static int host_is_little_endian(void)
{
    const uint16_t probe = 1;
    unsigned char first;
    memcpy(&first, &probe, 1);
    return first == 1;
}

static uint32_t little_u32(const unsigned char *bytes, int count)
{
    uint32_t value = 0;
    for (int i = count - 1; i >= 0; --i)
        value = (value << 8) | bytes[i];
    return value;
}

ntk_status npy_read_header(const char *path, npy_header *header)
{
    memset(header, 0, sizeof *header);
    FILE *file = fopen(path, "rb");
    if (file == NULL)
        return NTK_RAISE(NTK_ERR_DATA, "%s: cannot open: %s", path, strerror(errno));

    ntk_status status = NTK_OK;
    char *dict = NULL;
    unsigned char prelude[NPY_PRELUDE_V2];
    size_t got = fread(prelude, 1, NPY_PRELUDE_V1, file);
    if (got < NPY_PRELUDE_V1 || memcmp(prelude, npy_magic, sizeof npy_magic) != 0) {
        status = NTK_RAISE(NTK_ERR_DATA, "%s: not a .npy file (no \\x93NUMPY magic)", path);
        goto done;
    }
    int major = prelude[6];
    uint32_t dict_length = 0;
    int64_t prelude_length = NPY_PRELUDE_V1;
    if (major == 1) {
        dict_length = little_u32(prelude + 8, 2);
    } else if (major == 2 || major == 3) {
        if (fread(prelude + NPY_PRELUDE_V1, 1, 2, file) != 2) {
            status = NTK_RAISE(NTK_ERR_DATA, "%s: truncated .npy header", path);
            goto done;
        }
        dict_length = little_u32(prelude + 8, 4);
        prelude_length = NPY_PRELUDE_V2;
    } else {
        status = NTK_RAISE(NTK_ERR_DATA, "%s: unsupported .npy format version %d.%d", path, major,
                           prelude[7]);
        goto done;
    }
    if (dict_length > NPY_HEADER_LIMIT) {
        status = NTK_RAISE(NTK_ERR_DATA, "%s: .npy header length %" PRIu32 " is implausible",
                           path, dict_length);
        goto done;
    }
    /* Bound the allocation by the file: a length field past its end is a
     * truncated (or forged) header, whatever it claims. */
    struct stat info;
    if (fstat(fileno(file), &info) != 0) {
        status = NTK_RAISE(NTK_ERR_DATA, "%s: cannot stat: %s", path, strerror(errno));
        goto done;
    }
    if ((int64_t)dict_length > (int64_t)info.st_size - prelude_length) {
        status = NTK_RAISE(NTK_ERR_DATA, "%s: truncated .npy header (declares %" PRIu32
                           " bytes, the file has %lld after the prelude)", path, dict_length,
                           (long long)((int64_t)info.st_size - prelude_length));
        goto done;
    }
    status = NTK_CALLOC(dict, (size_t)dict_length + 1, "the .npy header");
    if (status != NTK_OK)
        goto done;
    if (fread(dict, 1, dict_length, file) != dict_length) {
        status = NTK_RAISE(NTK_ERR_DATA, "%s: truncated .npy header", path);
        goto done;
    }
    header->data_offset = prelude_length + dict_length;

    NTK_TRY_GOTO(status, npy_parse_dict(path, dict, dict_length, header), done);

    int64_t item = header->dtype == NPY_FLOAT64 ? 8 : 4;
    if (header->shape[1] != 0 && header->shape[0] > INT64_MAX / item / header->shape[1]) {
        status = NTK_RAISE(NTK_ERR_DATA, "%s: .npy shape is too large", path);
        goto done;
    }
    int64_t data_bytes = header->shape[0] * header->shape[1] * item;
    int64_t available = (int64_t)info.st_size - header->data_offset;
    if (available < data_bytes) {
        status = NTK_RAISE(NTK_ERR_DATA, "%s: truncated .npy file: expects %" PRId64
                           " bytes of data, has %" PRId64, path, data_bytes,
                           available < 0 ? (int64_t)0 : available);
        goto done;
    }
done:
    free(dict);
    fclose(file);
    return status;
}

ntk_status npy_build_header(int64_t rows, int64_t cols, int fortran_order, char *buffer,
                            size_t capacity, size_t *length)
{
    return npy_build_header_of(8, rows, cols, fortran_order, buffer, capacity, length);
}

ntk_status npy_build_header_of(int element_bytes, int64_t rows, int64_t cols, int fortran_order,
                               char *buffer, size_t capacity, size_t *length)
{
    if (element_bytes != 4 && element_bytes != 8)
        return NTK_RAISE(NTK_ERR_INTERNAL, "npy header for %d-byte floats", element_bytes);
    char dict[256];
    char shape[96];
    if (cols < 0)
        snprintf(shape, sizeof shape, "(%" PRId64 ",)", rows);
    else
        snprintf(shape, sizeof shape, "(%" PRId64 ", %" PRId64 ")", rows, cols);
    /* Data are written in the host's byte order, so say which that is. */
    int dict_length = snprintf(dict, sizeof dict, "{'descr': '%sf%d', 'fortran_order': %s, "
                               "'shape': %s, }", host_is_little_endian() ? "<" : ">", element_bytes,
                               fortran_order ? "True" : "False", shape);
    /* Pad with spaces and a final '\n' so prelude + dict is a multiple of 64. */
    size_t total = (size_t)NPY_PRELUDE_V1 + (size_t)dict_length + 1;
    total = (total + NPY_ALIGNMENT - 1) / NPY_ALIGNMENT * NPY_ALIGNMENT;
    if (total > capacity)
        return NTK_RAISE(NTK_ERR_INTERNAL, "npy header needs %zu bytes, buffer has %zu", total,
                         capacity);
    size_t padded_dict = total - NPY_PRELUDE_V1;
    memcpy(buffer, npy_magic, sizeof npy_magic);
    buffer[6] = 1;
    buffer[7] = 0;
    buffer[8] = (char)(padded_dict & 0xff);
    buffer[9] = (char)((padded_dict >> 8) & 0xff);
    memcpy(buffer + NPY_PRELUDE_V1, dict, (size_t)dict_length);
    memset(buffer + NPY_PRELUDE_V1 + dict_length, ' ', padded_dict - (size_t)dict_length - 1);
    buffer[total - 1] = '\n';
    *length = total;
    return NTK_OK;
}

/* A whole array of `element_bytes` floats from one process. */
static ntk_status write_local(const char *path, const void *values, int element_bytes,
                              int64_t rows, int64_t cols)
{
    char header[256];
    size_t header_length = 0;
    NTK_TRY(npy_build_header_of(element_bytes, rows, cols, 0, header, sizeof header,
                                &header_length));

    FILE *file = NULL;
    NTK_TRY(partial_file_open(path, &file));
    size_t count = (size_t)rows * (size_t)(cols < 0 ? 1 : cols);
    int ok = fwrite(header, 1, header_length, file) == header_length;
    if (ok && count > 0)
        ok = fwrite(values, (size_t)element_bytes, count, file) == count;
    if (!ok) {
        int saved_errno = errno;
        partial_file_discard(path, file);
        return NTK_RAISE(NTK_ERR_IO, "%s: cannot write: %s", path, strerror(saved_errno));
    }
    return partial_file_commit(path, file);
}

ntk_status npy_write_local(const char *path, const double *values, int64_t rows, int64_t cols)
{
    return write_local(path, values, (int)sizeof(double), rows, cols);
}

ntk_status npy_write_local_float32(const char *path, const float *values, int64_t rows,
                                   int64_t cols)
{
    return write_local(path, values, (int)sizeof(float), rows, cols);
}
