/* Test driver for the format tests: writes .npy and safetensors files with
 * known values and dumps what it reads, for format_check.py to compare with
 * numpy.
 *   format_tool npy-write PATH ROWS COLS    value(i, j) = 1000 i + j + 0.5 (COLS -1: 1-D)
 *   format_tool npy-header PATH             prints: dtype swap fortran ndim rows cols offset
 *   format_tool st-write PATH               the tensors of st_written_tensors()
 *   format_tool st-dump PATH                one line per tensor: name dtype ndim dims... begin end
 *                                           then its values, one %.17g per line
 * Errors print "error: MESSAGE" and exit 1. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/npy.h"
#include "format/safetensors.h"

static int report(ntk_status status)
{
    if (status == NTK_OK)
        return 0;
    printf("error: %s\n", ntk_error_message());
    return 1;
}

static int npy_write(const char *path, int64_t rows, int64_t cols)
{
    int64_t width = cols < 0 ? 1 : cols;
    double *values = calloc((size_t)(rows * width + 1), sizeof(double));
    for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < width; ++j)
            values[i * width + j] = 1000.0 * (double)i + (double)j + 0.5;
    int rc = report(npy_write_local(path, values, rows, cols));
    free(values);
    return rc;
}

static int npy_header_dump(const char *path)
{
    npy_header header;
    if (report(npy_read_header(path, &header)))
        return 1;
    printf("%s %d %d %d %lld %lld %lld\n", header.dtype == NPY_FLOAT64 ? "f8" : "f4",
           header.swap_bytes, header.fortran_order, header.ndim, (long long)header.shape[0],
           (long long)header.shape[1], (long long)header.data_offset);
    return 0;
}

/* Must match expected_written() in format_check.py. */
static int st_write(const char *path)
{
    double weight[12], bias[3], scalar = 3.141592653589793, cube[24];
    for (int k = 0; k < 12; ++k)
        weight[k] = k * 0.1 - 0.35;
    for (int k = 0; k < 3; ++k)
        bias[k] = -1.5 + k;
    for (int k = 0; k < 24; ++k)
        cube[k] = 1.0 / (k + 1);
    st_output_tensor tensors[5] = {
        {.name = "0.weight", .ndim = 2, .shape = {3, 4}, .values = weight},
        {.name = "0.bias", .ndim = 1, .shape = {3}, .values = bias},
        {.name = "scalar", .ndim = 0, .values = &scalar},
        {.name = "empty", .ndim = 2, .shape = {0, 5}, .values = NULL},
        {.name = "layers.2.cube", .ndim = 3, .shape = {2, 3, 4}, .values = cube}};
    return report(st_write_f64(path, tensors, 5));
}

static int st_dump(const char *path)
{
    st_index index;
    if (report(st_read_index(path, &index)))
        return 1;
    int rc = 0;
    for (int t = 0; t < index.count && rc == 0; ++t) {
        const st_tensor *tensor = &index.tensors[t];
        if (st_find(&index, tensor->name) != tensor) {
            printf("error: st_find(%s) returned another tensor\n", tensor->name);
            rc = 1;
            break;
        }
        printf("%s %s %d", tensor->name, tensor->dtype, tensor->ndim);
        for (int d = 0; d < tensor->ndim; ++d)
            printf(" %lld", (long long)tensor->shape[d]);
        printf(" %lld %lld\n", (long long)tensor->begin, (long long)tensor->end);
        double *values = calloc((size_t)tensor->elements + 1, sizeof(double));
        ntk_status status = st_read_tensor(&index, tensor, values);
        if (status != NTK_OK) {
            printf("%s\n", ntk_error_message());
            ntk_error_clear();
        } else {
            for (int64_t e = 0; e < tensor->elements; ++e)
                printf("%.17g\n", values[e]);
        }
        free(values);
    }
    st_free_index(&index);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "npy-write") == 0)
        return npy_write(argv[2], atoll(argv[3]), atoll(argv[4]));
    if (argc == 3 && strcmp(argv[1], "npy-header") == 0)
        return npy_header_dump(argv[2]);
    if (argc == 3 && strcmp(argv[1], "st-write") == 0)
        return st_write(argv[2]);
    if (argc == 3 && strcmp(argv[1], "st-dump") == 0)
        return st_dump(argv[2]);
    fprintf(stderr, "usage: format_tool npy-write|npy-header|st-write|st-dump ...\n");
    return 2;
}
