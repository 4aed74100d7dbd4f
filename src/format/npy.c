/* The .npy format: header parsing, header building and small local writes
 * (see npy.h). The header dict is parsed by hand: it is a fixed, tiny subset
 * of Python literal syntax ('descr', 'fortran_order', 'shape'), and NumPy
 * itself writes it in one canonical form. */
#include "format/npy.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/partial_file.h"

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

/* Skip spaces; return the position after `key` and a colon, or NULL. */
static const char *dict_value(const char *dict, const char *key)
{
    char quoted[32];
    const char *quotes[2] = {"'", "\""};
    for (int q = 0; q < 2; ++q) {
        snprintf(quoted, sizeof quoted, "%s%s%s", quotes[q], key, quotes[q]);
        const char *at = strstr(dict, quoted);
        if (at == NULL)
            continue;
        at += strlen(quoted);
        while (*at == ' ')
            ++at;
        if (*at != ':')
            return NULL;
        ++at;
        while (*at == ' ')
            ++at;
        return at;
    }
    return NULL;
}

static ntk_status parse_descr(const char *path, const char *dict, npy_header *header)
{
    const char *at = dict_value(dict, "descr");
    if (at == NULL || (*at != '\'' && *at != '"'))
        return NTK_RAISE(NTK_ERR_DATA, "%s: .npy header has no 'descr' string (structured "
                         "arrays are not supported)", path);
    char quote = *at++;
    char descr[32];
    size_t length = 0;
    while (at[length] && at[length] != quote && length + 1 < sizeof descr) {
        descr[length] = at[length];
        ++length;
    }
    descr[length] = '\0';

    /* '<' little, '>' big, '=' native, '|' not applicable (NumPy never writes it
     * for floats, but a hand-made header might). */
    char order = descr[0];
    const char *kind = descr + 1;
    if (order != '<' && order != '>' && order != '=' && order != '|')
        kind = descr, order = '=';
    if (strcmp(kind, "f8") == 0)
        header->dtype = NPY_FLOAT64;
    else if (strcmp(kind, "f4") == 0)
        header->dtype = NPY_FLOAT32;
    else
        return NTK_RAISE(NTK_ERR_DATA, "%s: unsupported dtype '%s' (expected float64 '<f8' or "
                         "float32 '<f4')", path, descr);
    int file_little = (order == '<') || ((order == '=' || order == '|') && host_is_little_endian());
    header->swap_bytes = file_little != host_is_little_endian();
    return NTK_OK;
}

static ntk_status parse_fortran_order(const char *path, const char *dict, npy_header *header)
{
    const char *at = dict_value(dict, "fortran_order");
    if (at != NULL && strncmp(at, "True", 4) == 0)
        header->fortran_order = 1;
    else if (at != NULL && strncmp(at, "False", 5) == 0)
        header->fortran_order = 0;
    else
        return NTK_RAISE(NTK_ERR_DATA, "%s: .npy header has no valid 'fortran_order'", path);
    return NTK_OK;
}

static ntk_status parse_shape(const char *path, const char *dict, npy_header *header)
{
    const char *at = dict_value(dict, "shape");
    if (at == NULL || *at != '(')
        return NTK_RAISE(NTK_ERR_DATA, "%s: .npy header has no valid 'shape'", path);
    const char *close = strchr(at, ')');
    if (close == NULL)
        return NTK_RAISE(NTK_ERR_DATA, "%s: .npy header has an unterminated 'shape'", path);
    char shape_text[256];
    size_t shape_length = (size_t)(close - at + 1);
    if (shape_length >= sizeof shape_text)
        shape_length = sizeof shape_text - 1;
    memcpy(shape_text, at, shape_length);
    shape_text[shape_length] = '\0';

    int64_t dims[32];
    int ndim = 0;
    const char *cursor = at + 1;
    while (cursor < close) {
        while (cursor < close && (*cursor == ' ' || *cursor == ','))
            ++cursor;
        if (cursor >= close)
            break;
        char *end = NULL;
        errno = 0;
        long long value = strtoll(cursor, &end, 10);
        while (end && (*end == 'L' || *end == 'l')) /* Python 2 longs in old files */
            ++end;
        if (end == cursor || errno != 0 || value < 0)
            return NTK_RAISE(NTK_ERR_DATA, "%s: .npy header has a bad shape %s", path, shape_text);
        if (ndim < 32)
            dims[ndim] = value;
        ++ndim;
        cursor = end;
    }
    if (ndim != 1 && ndim != 2)
        return NTK_RAISE(NTK_ERR_DATA, "%s: expected a 1-D or 2-D array, found a %d-D array "
                         "of shape %s", path, ndim, shape_text);
    header->ndim = ndim;
    header->shape[0] = dims[0];
    header->shape[1] = (ndim == 2) ? dims[1] : 1;
    return NTK_OK;
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
    status = NTK_CALLOC(dict, (size_t)dict_length + 1, "the .npy header");
    if (status != NTK_OK)
        goto done;
    if (fread(dict, 1, dict_length, file) != dict_length) {
        status = NTK_RAISE(NTK_ERR_DATA, "%s: truncated .npy header", path);
        goto done;
    }
    header->data_offset = prelude_length + dict_length;

    NTK_TRY_GOTO(status, parse_descr(path, dict, header), done);
    NTK_TRY_GOTO(status, parse_fortran_order(path, dict, header), done);
    NTK_TRY_GOTO(status, parse_shape(path, dict, header), done);

    struct stat info;
    if (fstat(fileno(file), &info) != 0) {
        status = NTK_RAISE(NTK_ERR_DATA, "%s: cannot stat: %s", path, strerror(errno));
        goto done;
    }
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
    char dict[256];
    char shape[96];
    if (cols < 0)
        snprintf(shape, sizeof shape, "(%" PRId64 ",)", rows);
    else
        snprintf(shape, sizeof shape, "(%" PRId64 ", %" PRId64 ")", rows, cols);
    /* Data are written in the host's byte order, so say which that is. */
    int dict_length = snprintf(dict, sizeof dict, "{'descr': '%sf8', 'fortran_order': %s, "
                               "'shape': %s, }", host_is_little_endian() ? "<" : ">",
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

ntk_status npy_write_local(const char *path, const double *values, int64_t rows, int64_t cols)
{
    char header[256];
    size_t header_length = 0;
    NTK_TRY(npy_build_header(rows, cols, 0, header, sizeof header, &header_length));

    FILE *file = NULL;
    NTK_TRY(partial_file_open(path, &file));
    size_t count = (size_t)rows * (size_t)(cols < 0 ? 1 : cols);
    int ok = fwrite(header, 1, header_length, file) == header_length;
    if (ok && count > 0)
        ok = fwrite(values, sizeof(double), count, file) == count;
    if (!ok) {
        int saved_errno = errno;
        partial_file_discard(path, file);
        return NTK_RAISE(NTK_ERR_IO, "%s: cannot write: %s", path, strerror(saved_errno));
    }
    return partial_file_commit(path, file);
}
