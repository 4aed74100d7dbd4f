/* Fuzz target: the safetensors index (length prefix + JSON header,
 * src/format/safetensors.c), then reading each small tensor it accepts.
 * An accepted index must keep the reference loader's layout rules: every
 * tensor found by its name, and the tensors' data_offsets tiling the data
 * section (sorted, no overlap, no gap, the last ending at the end of the
 * file). The seed corpus has overlapping, gapped, tailed and out-of-range
 * offsets, and headers padded with text, NUL bytes and JSON whitespace. */
#include <stdlib.h>

#include "format/safetensors.h"
#include "fuzz_file.h"

enum { MAX_VALUES = 1 << 16 };

static int compare_begin(const void *a, const void *b)
{
    const st_tensor *left = *(const st_tensor *const *)a, *right = *(const st_tensor *const *)b;
    if (left->begin != right->begin)
        return (left->begin > right->begin) - (left->begin < right->begin);
    return (left->end > right->end) - (left->end < right->end);
}

/* abort() unless the accepted tensors tile [data_start, file_size). */
static void check_tiling(const st_index *index)
{
    const st_tensor **order = malloc(sizeof *order * (size_t)(index->count + 1));
    if (order == NULL)
        abort();
    for (int i = 0; i < index->count; ++i)
        order[i] = &index->tensors[i];
    qsort(order, (size_t)index->count, sizeof *order, compare_begin);
    int64_t expected = index->data_start;
    for (int i = 0; i < index->count; ++i) {
        if (order[i]->begin != expected || order[i]->end < order[i]->begin)
            abort(); /* an overlap or a gap was accepted */
        expected = order[i]->end;
    }
    if (expected != index->file_size)
        abort(); /* bytes past the last tensor, or offsets past the end */
    free((void *)order);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file_write(data, size);
    st_index index;
    if (st_read_index(path, &index) == NTK_OK) {
        check_tiling(&index);
        for (int i = 0; i < index.count; ++i) {
            const st_tensor *tensor = &index.tensors[i];
            if (st_find(&index, tensor->name) != tensor)
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
