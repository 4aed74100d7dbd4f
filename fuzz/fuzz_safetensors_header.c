/* Fuzz target: the safetensors index (length prefix + JSON header,
 * src/format/safetensors.c), then reading each small tensor it accepts. */
#include <stdlib.h>

#include "format/safetensors.h"
#include "fuzz_file.h"

enum { MAX_VALUES = 1 << 16 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file_write(data, size);
    st_index index;
    if (st_read_index(path, &index) == NTK_OK) {
        for (int i = 0; i < index.count; ++i) {
            const st_tensor *tensor = &index.tensors[i];
            if (st_find(&index, tensor->name) == NULL)
                abort(); /* every listed tensor must be found by its name */
            if (tensor->elements < 0 || tensor->elements > MAX_VALUES)
                continue;
            double *values = malloc(sizeof *values * (size_t)(tensor->elements + 1));
            if (values == NULL)
                abort();
            (void)st_read_tensor(&index, tensor, values);
            free(values);
        }
        st_free_index(&index);
    }
    ntk_error_clear();
    return 0;
}
