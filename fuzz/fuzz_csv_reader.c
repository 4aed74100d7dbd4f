/* Fuzz target: the CSV reader (src/data/csv_source.c): the shape scan, then
 * reading every row as a single rank does. */
#include <stdlib.h>

#include "data/data_internal.h"
#include "fuzz_file.h"

enum { MAX_VALUES = 1 << 16 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file_write(data, size);
    int64_t rows = 0, cols = 0;
    if (data_csv_shape(path, "inputs", &rows, &cols) == NTK_OK && rows > 0 && cols > 0 &&
        rows <= MAX_VALUES / cols) {
        int64_t *index = malloc(sizeof *index * (size_t)rows);
        double *values = malloc(sizeof *values * (size_t)(rows * cols));
        if (index == NULL || values == NULL)
            abort();
        for (int64_t row = 0; row < rows; ++row)
            index[row] = row;
        (void)data_csv_read_rows(path, "inputs", index, rows, cols, values);
        free(index);
        free(values);
    }
    ntk_error_clear();
    return 0;
}
