/* Fuzz target: the .npy header parser (src/format/npy.c) and, for a header
 * that parses, the .npy data reader behind it (src/data/npy_source.c). */
#include <stdlib.h>

#include "data/data_internal.h"
#include "format/npy.h"
#include "fuzz_file.h"

/* Keep reads small: a valid header may declare a large array that the
 * (short) input cannot hold; the reader must refuse it without reading. */
enum { MAX_VALUES = 1 << 16 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file_write(data, size);
    npy_header header;
    if (npy_read_header(path, &header) == NTK_OK) {
        int64_t rows = 0, cols = 0;
        if (data_npy_shape(path, "inputs", &rows, &cols) == NTK_OK && rows > 0 && cols > 0 &&
            rows <= MAX_VALUES / cols) {
            int64_t *index = malloc(sizeof *index * (size_t)rows);
            double *values = malloc(sizeof *values * (size_t)(rows * cols));
            if (index == NULL || values == NULL)
                abort();
            /* Every other row: exercises skipping as a rank with a row subset does. */
            int64_t count = 0;
            for (int64_t row = 0; row < rows; row += 2)
                index[count++] = row;
            (void)data_npy_read_rows(path, "inputs", index, count, cols, values);
            free(index);
            free(values);
        }
    }
    ntk_error_clear();
    return 0;
}
