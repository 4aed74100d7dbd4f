/* modes.csv: one row per computed mode, numbered from 0 in descending
 * eigenvalue order, with full double precision (%.17g round-trips). The
 * energy columns are empty when the job has no targets (see output.h). */
#include "output/output.h"
#include "output/file_names.h"

ntk_status output_write_modes_csv(const char *dir, const ntk_spectrum *spectrum,
                                  const ntk_modes *modes, const double *target_power)
{
    char path[NTK_PATH_MAX];
    FILE *file = NULL;
    NTK_TRY(output_file_open(dir, OUTPUT_FILE_MODES, path, &file));
    fputs(target_power != NULL
              ? "mode,eigenvalue,rate,target_energy,cumulative_energy,target_power_cumulative\n"
              : "mode,eigenvalue,rate,target_energy,cumulative_energy\n",
          file);
    for (int64_t i = 0; i < spectrum->n_pairs; ++i) {
        fprintf(file, "%lld,%.17g,%.17g,", (long long)i, spectrum->values[i], modes->rate[i]);
        if (modes->have_targets)
            fprintf(file, "%.17g,%.17g", modes->target_energy[i], modes->cumulative_energy[i]);
        else
            fputc(',', file);
        if (target_power != NULL)
            fprintf(file, ",%.17g", target_power[i]);
        fputc('\n', file);
    }
    /* commit checks the stream for write errors (a full disk) and renames. */
    NTK_TRY(partial_file_commit(path, file));
    return NTK_OK;
}
