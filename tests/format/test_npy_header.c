/* npy_build_header / npy_read_header round trip: padding to 64 bytes, the
 * final newline, the shape, order and dtype read back, version 2.0 headers,
 * and the truncated-file check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/npy.h"
#include "check.h"


static void write_bytes(const char *path, const char *bytes, size_t length, size_t zeros)
{
    FILE *file = fopen(path, "wb");
    fwrite(bytes, 1, length, file);
    for (size_t i = 0; i < zeros; ++i)
        fputc(0, file);
    fclose(file);
}

static void check_shape(int64_t rows, int64_t cols, int fortran)
{
    char header[256];
    size_t length = 0;
    CHECK(npy_build_header(rows, cols, fortran, header, sizeof header, &length) == NTK_OK,
          "build %lld x %lld", (long long)rows, (long long)cols);
    CHECK(length % 64 == 0, "length %zu not a multiple of 64", length);
    CHECK(header[length - 1] == '\n', "header does not end in newline");
    CHECK(memcmp(header, "\x93NUMPY\x01\x00", 8) == 0, "magic/version");
    size_t dict_length = (unsigned char)header[8] | ((unsigned char)header[9] << 8);
    CHECK(dict_length + 10 == length, "length field %zu vs %zu", dict_length, length);

    /* Small arrays: a full file; large ones: the header alone must be
     * reported as truncated with the exact byte counts. */
    const char *path = "format_npy_header.tmp.npy";
    int64_t elements = rows * (cols < 0 ? 1 : cols);
    int small = elements <= 4096;
    write_bytes(path, header, length, small ? (size_t)elements * 8 : 0);
    npy_header parsed;
    ntk_error_clear();
    ntk_status status = npy_read_header(path, &parsed);
    if (small) {
        CHECK(status == NTK_OK, "read back: %s", ntk_error_message());
        CHECK(parsed.dtype == NPY_FLOAT64 && !parsed.swap_bytes, "dtype");
        CHECK(parsed.fortran_order == fortran, "fortran_order");
        CHECK(parsed.ndim == (cols < 0 ? 1 : 2), "ndim %d", parsed.ndim);
        CHECK(parsed.shape[0] == rows && parsed.shape[1] == (cols < 0 ? 1 : cols), "shape");
        CHECK(parsed.data_offset == (int64_t)length, "offset");
    } else {
        char expected[160];
        snprintf(expected, sizeof expected, "truncated .npy file: expects %lld bytes of data, has 0",
                 (long long)(elements * 8));
        CHECK(status == NTK_ERR_DATA && strstr(ntk_error_message(), expected) &&
                  strstr(ntk_error_message(), path) == ntk_error_message(),
              "truncated message: '%s'", ntk_error_message());
    }
    remove(path);
}

static void check_version2(void)
{
    /* A version 2.0 header (uint32 length) with big-endian float32 data. */
    const char *dict = "{'descr': '>f4', 'fortran_order': True, 'shape': (3, 2), }";
    char bytes[128];
    size_t dict_length = strlen(dict);
    size_t padded = 128 - 12;
    memcpy(bytes, "\x93NUMPY\x02\x00", 8);
    bytes[8] = (char)padded;
    bytes[9] = bytes[10] = bytes[11] = 0;
    memcpy(bytes + 12, dict, dict_length);
    memset(bytes + 12 + dict_length, ' ', padded - dict_length - 1);
    bytes[127] = '\n';
    const char *path = "format_npy_v2.tmp.npy";
    write_bytes(path, bytes, sizeof bytes, 6 * 4);
    npy_header parsed;
    ntk_error_clear();
    CHECK(npy_read_header(path, &parsed) == NTK_OK, "v2: %s", ntk_error_message());
    CHECK(parsed.dtype == NPY_FLOAT32 && parsed.swap_bytes == 1 && parsed.fortran_order == 1,
          "v2 dtype/order");
    CHECK(parsed.shape[0] == 3 && parsed.shape[1] == 2 && parsed.data_offset == 128, "v2 shape");
    /* One byte short of the data. */
    write_bytes(path, bytes, sizeof bytes, 6 * 4 - 1);
    ntk_error_clear();
    CHECK(npy_read_header(path, &parsed) == NTK_ERR_DATA &&
              strstr(ntk_error_message(), "expects 24 bytes of data, has 23"),
          "v2 truncated: '%s'", ntk_error_message());
    remove(path);
}

/* A version 1.0 file with `dict` as its header (padded to 64 bytes) and
 * `data_bytes` zero bytes of data; returns npy_read_header's status. */
static ntk_status read_dict(const char *dict, size_t data_bytes, npy_header *parsed)
{
    char bytes[512];
    size_t dict_length = strlen(dict);
    size_t total = (10 + dict_length + 1 + 63) / 64 * 64;
    size_t padded = total - 10;
    memcpy(bytes, "\x93NUMPY\x01\x00", 8);
    bytes[8] = (char)(padded & 0xff);
    bytes[9] = (char)(padded >> 8);
    memcpy(bytes + 10, dict, dict_length);
    memset(bytes + 10 + dict_length, ' ', padded - dict_length - 1);
    bytes[total - 1] = '\n';
    const char *path = "format_npy_dict.tmp.npy";
    write_bytes(path, bytes, total, data_bytes);
    ntk_error_clear();
    ntk_status status = npy_read_header(path, parsed);
    remove(path);
    return status;
}

/* The dict is parsed as a Python literal: what NumPy accepts in its canonical
 * and its looser spellings is read the same, and everything NumPy would read
 * differently (a repeated key: last one wins in Python) or refuse is refused
 * with exit class NTK_ERR_DATA and the file named. */
static void check_dict_parsing(void)
{
    npy_header parsed;
    CHECK(read_dict("{\"descr\": \"<f4\", \"shape\": (3L, 2L), \"fortran_order\": True}", 24,
                    &parsed) == NTK_OK &&
              parsed.dtype == NPY_FLOAT32 && parsed.fortran_order == 1 && parsed.shape[0] == 3 &&
              parsed.shape[1] == 2,
          "double quotes, other key order, no trailing comma, Python 2 longs: %s",
          ntk_error_message());
    CHECK(read_dict("{'descr':'<f8','fortran_order':False,'shape':(5,)}", 40, &parsed) == NTK_OK &&
              parsed.ndim == 1 && parsed.shape[0] == 5,
          "compact 1-D: %s", ntk_error_message());

    static const struct {
        const char *dict;
        const char *fragment;
    } bad[] = {
        /* Duplicates: NumPy takes the last, the old reader the first. */
        {"{'descr': '<f8', 'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }",
         "has the key 'descr' twice"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), 'shape': (1, 1), }",
         "has the key 'shape' twice"},
        {"{'descr': '<f8', 'fortran_order': False, 'fortran_order': True, 'shape': (2, 2), }",
         "has the key 'fortran_order' twice"},
        /* 'descr' text inside another value was matched as the key. */
        {"{'note': \"'descr': '>f8'\", 'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }",
         "unknown key 'note'"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), 'extra': 1}",
         "unknown key 'extra'"},
        {"{'descr': '<f8', 'fortran_order': False}", "has no 'shape'"},
        {"{'fortran_order': False, 'shape': (2, 2)}", "has no 'descr'"},
        {"{'descr': '<f8', 'fortran_order': 0, 'shape': (2, 2)}", "must be True or False"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (4)}", "is not a tuple"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, -2)}", "negative dimension"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999, 1)}",
         "too large"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2)} junk", "after the dict"},
        {"{'descr': '<f8' 'fortran_order': False, 'shape': (2, 2)}", "expected ',' or '}'"},
        {"{'descr' '<f8', 'fortran_order': False, 'shape': (2, 2)}", "expected ':'"},
        {"{'descr': '<f8, 'fortran_order': False, 'shape': (2, 2)}", "unsupported dtype"},
        {"{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2,)}", "structured array"},
        /* A header claiming 2^60 elements must fail on the file size, not
         * try to allocate or read them. */
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (1152921504606846976, 1)}",
         "shape is too large"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1152921504606846976, 1)}",
         "truncated .npy file: expects 4611686018427387904 bytes"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4)}",
         "shape is too large"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
        ntk_status status = read_dict(bad[i].dict, 32, &parsed);
        CHECK(status == NTK_ERR_DATA && strstr(ntk_error_message(), bad[i].fragment) &&
                  strncmp(ntk_error_message(), "format_npy_dict.tmp.npy: ", 25) == 0,
              "%s: status %d, message '%s'", bad[i].dict, (int)status, ntk_error_message());
    }
}

/* A header length field past the end of the file is refused before any
 * buffer of that size is allocated. */
static void check_header_length_bound(void)
{
    const char *path = "format_npy_length.tmp.npy";
    write_bytes(path, "\x93NUMPY\x02\x00\xff\xff\xff\x00{", 13, 0);
    npy_header parsed;
    ntk_error_clear();
    CHECK(npy_read_header(path, &parsed) == NTK_ERR_DATA &&
              strstr(ntk_error_message(), "truncated .npy header (declares 16777215 bytes"),
          "length past the end: '%s'", ntk_error_message());
    remove(path);
}

int main(void)
{
    const int64_t shapes[][2] = {{0, 0}, {1, 1}, {3, 4}, {7, -1}, {0, -1}, {100, 17}, {64, 64},
                                 {16500, 16500}, {123456789, 987654321}, {999999999999, 3}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; ++s)
        for (int fortran = 0; fortran < 2; ++fortran)
            check_shape(shapes[s][0], shapes[s][1], fortran);
    check_version2();
    check_dict_parsing();
    check_header_length_bound();

    char tiny[32];
    size_t length = 0;
    ntk_error_clear();
    CHECK(npy_build_header(3, 3, 0, tiny, sizeof tiny, &length) != NTK_OK,
          "a too-small buffer must be refused");
    ntk_error_clear();
    npy_header parsed;
    CHECK(npy_read_header("format_no_such_file.npy", &parsed) == NTK_ERR_DATA &&
              strstr(ntk_error_message(), "format_no_such_file.npy: cannot open"),
          "missing file: '%s'", ntk_error_message());
    if (failures == 0)
        printf("ok: npy headers\n");
    return failures ? 1 : 0;
}
