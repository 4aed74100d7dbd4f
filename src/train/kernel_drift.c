/* The empirical NTK along training (see kernel_drift.h). */
#include "train/kernel_drift.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/partial_file.h"
#include "core/signals.h"
#include "diagnostics/diagnostics.h"
#include "diagnostics/kernels.h"
#include "kernel/assembly_stop.h"
#include "output/file_names.h"
#include "output/output.h"

enum { DRIFT_COLUMNS = 6 }; /* step, distance, relative Frobenius, velocity, alignment, loss */

ntk_status kernel_drift_begin(const ntk_kernel_config *kernel, const ntk_grid *grid,
                              const ntk_dmatrix *initial, const double *targets, int channels,
                              const char *output_dir, kernel_drift *drift)
{
    memset(drift, 0, sizeof *drift);
    drift->kernel = kernel;
    drift->initial = initial;
    drift->targets = targets;
    drift->channels = channels;
    drift->previous_step = -1;
    ntk_status status = output_path(output_dir, OUTPUT_FILE_KERNEL_DRIFT, drift->csv_path);
    if (status == NTK_OK && grid->rank == 0) {
        status = partial_file_open(drift->csv_path, &drift->csv);
        if (status == NTK_OK)
            fputs("step,kernel_distance,relative_frobenius,velocity,alignment,train_loss\n",
                  drift->csv);
    }
    NTK_TRY(ntk_agree(status, grid->comm));
    return NTK_OK;
}

/* Keep a row's values (every rank: they are the same). */
static ntk_status keep_row(kernel_drift *drift, const ntk_grid *grid, const double row[DRIFT_COLUMNS])
{
    if (drift->n_records == drift->capacity) {
        const int64_t capacity = drift->capacity > 0 ? 2 * drift->capacity : 32;
        double *columns =
            realloc(drift->columns, (size_t)(capacity * DRIFT_COLUMNS) * sizeof(double));
        NTK_TRY(ntk_agree(columns == NULL
                              ? NTK_RAISE(NTK_ERR_MEMORY, "kernel drift: out of memory")
                              : NTK_OK,
                          grid->comm));
        drift->columns = columns;
        drift->capacity = capacity;
    }
    memcpy(drift->columns + drift->n_records * DRIFT_COLUMNS, row, sizeof(double) * DRIFT_COLUMNS);
    drift->n_records++;
    if (drift->csv != NULL) {
        fprintf(drift->csv, "%lld", (long long)row[0]);
        for (int c = 1; c < DRIFT_COLUMNS; ++c) {
            fputc(',', drift->csv);
            if (isfinite(row[c]))
                fprintf(drift->csv, "%.17g", row[c]);
        }
        fputc('\n', drift->csv);
    }
    return NTK_OK;
}

ntk_status kernel_drift_record(kernel_drift *drift, const ntk_grid *grid, const ntk_model *model,
                               const ntk_input_block *inputs, int64_t step, double loss)
{
    double row[DRIFT_COLUMNS] = {(double)step, NAN, NAN, NAN, NAN, loss};
    ntk_alignment alignment = {NAN, NAN};
    if (step == 0 || drift->previous_step < 0) {
        /* Theta_0 itself: no assembly. */
        row[1] = row[2] = 0.0;
        if (drift->targets != NULL)
            NTK_TRY(diagnostics_alignment(grid, drift->initial, drift->targets, drift->channels,
                                          &alignment));
        row[4] = alignment.alignment;
        drift->previous_step = step;
        return keep_row(drift, grid, row);
    }
    ntk_dmatrix current;
    memset(&current, 0, sizeof current);
    NTK_TRY(ntk_agree(dmatrix_create(grid, drift->initial->rows, drift->initial->cols, &current),
                      grid->comm));
    /* No checkpoint for this assembly, but a stop signal ends it at a step. */
    ntk_stop_hook stop = {grid->comm, "the training.kernel_every assembly"};
    ntk_assembly_hooks hooks = {0, checkpoint_stop_after_step, &stop, NULL, NULL};
    ntk_kernel_stats stats;
    memset(&stats, 0, sizeof stats);
    ntk_kernel_distance to_initial, to_previous;
    ntk_status status = kernel_assemble(drift->kernel, model, grid, inputs, 1, &hooks, &current,
                                        &stats);
    if (status == NTK_OK)
        status = diagnostics_kernel_distance(grid, drift->initial, &current, &to_initial);
    if (status == NTK_OK)
        status = diagnostics_kernel_distance(grid,
                                             drift->previous.rows > 0 ? &drift->previous
                                                                      : drift->initial,
                                             &current, &to_previous);
    if (status == NTK_OK && drift->targets != NULL)
        status = diagnostics_alignment(grid, &current, drift->targets, drift->channels,
                                       &alignment);
    if (status != NTK_OK) {
        dmatrix_destroy(&current);
        return status;
    }
    row[1] = to_initial.kernel_distance;
    row[2] = to_initial.relative_frobenius;
    row[3] = to_previous.kernel_distance / (double)(step - drift->previous_step);
    row[4] = alignment.alignment;
    dmatrix_destroy(&drift->previous);
    drift->previous = current; /* this one is compared with next */
    drift->previous_step = step;
    return keep_row(drift, grid, row);
}

/* kernel_drift.svg: both distances to Theta_0 against the step. Rank-local. */
static ntk_status write_plot(const kernel_drift *drift, const char *output_dir, const char *title)
{
    const int64_t n = drift->n_records;
    double *values = calloc((size_t)(3 * n + 1), sizeof(double));
    if (values == NULL)
        return NTK_RAISE(NTK_ERR_MEMORY, "kernel drift plot: out of memory");
    double *steps = values, *distance = values + n, *frobenius = values + 2 * n;
    for (int64_t r = 0; r < n; ++r) {
        steps[r] = drift->columns[r * DRIFT_COLUMNS];
        distance[r] = drift->columns[r * DRIFT_COLUMNS + 1];
        frobenius[r] = drift->columns[r * DRIFT_COLUMNS + 2];
    }
    const output_svg_series series[2] = {
        {"kernel distance", n, steps, distance, 0, 0},
        {"relative Frobenius", n, steps, frobenius, 1, 1},
    };
    const output_svg_chart chart = {OUTPUT_FILE_KERNEL_DRIFT_SVG, title,
                                    "the empirical NTK of the trained network against Theta_0",
                                    "training step", "distance to Theta_0", 0};
    ntk_status status = output_write_svg_lines(output_dir, &chart, series, 2);
    free(values);
    return status;
}

ntk_status kernel_drift_finish(kernel_drift *drift, const ntk_grid *grid, const char *output_dir,
                               const char *title, int plot)
{
    ntk_status status = NTK_OK;
    if (drift->csv != NULL) {
        FILE *csv = drift->csv;
        drift->csv = NULL;
        status = partial_file_commit(drift->csv_path, csv);
        if (status == NTK_OK && plot)
            status = write_plot(drift, output_dir, title);
    }
    NTK_TRY(ntk_agree(status, grid->comm));
    return NTK_OK;
}

void kernel_drift_free(kernel_drift *drift)
{
    if (drift->csv != NULL) /* an unfinished table is not left under any name */
        partial_file_discard(drift->csv_path, drift->csv);
    dmatrix_destroy(&drift->previous);
    free(drift->columns);
    memset(drift, 0, sizeof *drift);
}
