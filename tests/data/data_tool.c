/* Test driver for src/data: reads rows of a source and writes them to a .npy
 * file for data_check.py to compare with numpy.
 *   data_tool shape KIND ROLE PATH                   prints "rows cols"
 *   data_tool read KIND ROLE PATH COLS ROWS OUT.npy  KIND npy|csv, ROLE inputs|targets|data
 *   data_tool inputs KIND SEED N DIM ROWS OUT.npy    KIND gaussian|sphere
 *   data_tool targets KIND SEED K INPUT_KIND INPUT_SEED N DIM ROWS OUT.npy
 *                                                    KIND gaussian|sine; the input rows
 *                                                    come from the synthetic inputs
 * ROWS is "a,b,c" (ascending) or "first+count". ROLE "data" uses data_shape
 * without a role. Errors print "error: MESSAGE" and exit 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/data.h"
#include "format/npy.h"

static int report(ntk_status status)
{
    if (status == NTK_OK)
        return 0;
    printf("error: %s\n", ntk_error_message());
    return 1;
}

static int64_t *parse_rows(const char *text, int64_t *count)
{
    const char *plus = strchr(text, '+');
    if (plus != NULL) {
        int64_t first = atoll(text);
        *count = atoll(plus + 1);
        int64_t *rows = calloc((size_t)*count + 1, sizeof *rows);
        for (int64_t r = 0; r < *count; ++r)
            rows[r] = first + r;
        return rows;
    }
    *count = 1;
    for (const char *c = text; *c; ++c)
        *count += *c == ',';
    int64_t *rows = calloc((size_t)*count + 1, sizeof *rows);
    const char *cursor = text;
    for (int64_t r = 0; r < *count; ++r) {
        char *end = NULL;
        rows[r] = strtoll(cursor, &end, 10);
        cursor = end + 1;
    }
    return rows;
}

static ntk_source_kind file_kind(const char *kind)
{
    return strcmp(kind, "csv") == 0 ? NTK_SOURCE_CSV : NTK_SOURCE_NPY;
}

static ntk_synthetic_kind synthetic_kind(const char *kind)
{
    if (strcmp(kind, "sphere") == 0)
        return NTK_SYNTH_SPHERE;
    if (strcmp(kind, "sine") == 0)
        return NTK_SYNTH_SINE;
    return NTK_SYNTH_GAUSSIAN;
}

static int finish(ntk_status status, const char *out, const double *values, int64_t count,
                  int64_t cols)
{
    if (status == NTK_OK)
        status = npy_write_local(out, values, count, cols);
    return report(status);
}

int main(int argc, char **argv)
{
    ntk_data_source source;
    memset(&source, 0, sizeof source);
    if (argc == 5 && strcmp(argv[1], "shape") == 0) {
        source.kind = file_kind(argv[2]);
        snprintf(source.path, sizeof source.path, "%s", argv[4]);
        int64_t rows = 0, cols = 0;
        ntk_status status;
        if (strcmp(argv[3], "data") == 0)
            status = data_shape(&source, &rows, &cols);
        else
            status = data_shape_as(&source, strcmp(argv[3], "targets") == 0 ? DATA_ROLE_TARGETS
                                                                              : DATA_ROLE_INPUTS,
                                   &rows, &cols);
        if (report(status))
            return 1;
        printf("%lld %lld\n", (long long)rows, (long long)cols);
        return 0;
    }
    if (argc == 8 && strcmp(argv[1], "read") == 0) {
        source.kind = file_kind(argv[2]);
        snprintf(source.path, sizeof source.path, "%s", argv[4]);
        int64_t cols = atoll(argv[5]), count = 0;
        int64_t *rows = parse_rows(argv[6], &count);
        double *values = calloc((size_t)(count * cols) + 1, sizeof *values);
        double dummy_inputs[1] = {0.0}; /* marks the source as targets */
        const double *inputs = strcmp(argv[3], "targets") == 0 ? dummy_inputs : NULL;
        ntk_status status = data_read_rows(&source, rows, count, cols, inputs, 1, values);
        int rc = finish(status, argv[7], values, count, cols);
        free(rows);
        free(values);
        return rc;
    }
    if (argc == 8 && strcmp(argv[1], "inputs") == 0) {
        source.kind = NTK_SOURCE_SYNTHETIC;
        source.synthetic = synthetic_kind(argv[2]);
        source.seed = strtoull(argv[3], NULL, 10);
        source.n = atoll(argv[4]);
        source.dim = atoll(argv[5]);
        int64_t rows_total = 0, cols = 0, count = 0;
        if (report(data_shape_as(&source, DATA_ROLE_INPUTS, &rows_total, &cols)))
            return 1;
        int64_t *rows = parse_rows(argv[6], &count);
        double *values = calloc((size_t)(count * cols) + 1, sizeof *values);
        int rc = finish(data_read_rows(&source, rows, count, cols, NULL, 0, values), argv[7],
                        values, count, cols);
        free(rows);
        free(values);
        return rc;
    }
    if (argc == 12 && strcmp(argv[1], "targets") == 0) {
        ntk_data_source inputs_source;
        memset(&inputs_source, 0, sizeof inputs_source);
        inputs_source.kind = NTK_SOURCE_SYNTHETIC;
        inputs_source.synthetic = synthetic_kind(argv[5]);
        inputs_source.seed = strtoull(argv[6], NULL, 10);
        inputs_source.n = atoll(argv[7]);
        inputs_source.dim = atoll(argv[8]);
        source.kind = NTK_SOURCE_SYNTHETIC;
        source.synthetic = synthetic_kind(argv[2]);
        source.seed = strtoull(argv[3], NULL, 10);
        int64_t k = atoll(argv[4]), dim = inputs_source.dim, count = 0;
        int64_t *rows = parse_rows(argv[9], &count);
        double *x = calloc((size_t)(count * dim) + 1, sizeof *x);
        double *y = calloc((size_t)(count * k) + 1, sizeof *y);
        ntk_status status = data_read_rows(&inputs_source, rows, count, dim, NULL, 0, x);
        if (status == NTK_OK)
            status = data_read_rows(&source, rows, count, k, x, dim, y);
        int rc = finish(status, argv[10], y, count, k);
        if (rc == 0 && strcmp(argv[11], "-") != 0)
            rc = finish(NTK_OK, argv[11], x, count, dim);
        free(rows);
        free(x);
        free(y);
        return rc;
    }
    fprintf(stderr, "usage: see the comment at the top of data_tool.c\n");
    return 2;
}
