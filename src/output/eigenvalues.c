/* eigenvalues.npy: the computed eigenvalues of Theta, descending, as a 1-D
 * float64 array written by rank 0 (see output.h). */
#include "output/output.h"

#include "format/npy.h"
#include "output/file_names.h"

ntk_status output_write_eigenvalues(const char *dir, const ntk_spectrum *spectrum)
{
    char path[NTK_PATH_MAX];
    NTK_TRY(output_path(dir, OUTPUT_FILE_EIGENVALUES, path));
    NTK_TRY(npy_write_local(path, spectrum->values, spectrum->n_pairs, -1));
    return NTK_OK;
}
