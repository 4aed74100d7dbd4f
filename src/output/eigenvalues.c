/* eigenvalues.npy: the computed eigenvalues of Theta, descending, as a 1-D
 * array written by rank 0 (see output.h): float64, or float32 ('<f4') after
 * a float32 eigensolve (kernel.precision float32, whose values are float32
 * numbers held exactly in the doubles). */
#include "output/output.h"

#include <stdlib.h>

#include "format/npy.h"
#include "output/file_names.h"

ntk_status output_write_eigenvalues(const char *dir, const ntk_spectrum *spectrum)
{
    char path[NTK_PATH_MAX];
    NTK_TRY(output_path(dir, OUTPUT_FILE_EIGENVALUES, path));
    if (!spectrum->single_precision)
        return npy_write_local(path, spectrum->values, spectrum->n_pairs, -1);
    float *values = NULL;
    NTK_TRY(NTK_CALLOC(values, spectrum->n_pairs + 1, "the float32 eigenvalues"));
    for (int64_t i = 0; i < spectrum->n_pairs; ++i)
        values[i] = (float)spectrum->values[i];
    ntk_status status = npy_write_local_float32(path, values, spectrum->n_pairs, -1);
    free(values);
    return status;
}
