/* Measured per-mode convergence during training (see mode_tracking.h).
 *
 * The residual of the own inputs is gathered on every rank (N k doubles, as
 * the run's initial residual is), then each rank multiplies its local part
 * of the eigenvector matrix (the columns of the tracked modes) with it and
 * one MPI_Allreduce of modes x channels doubles sums the projections. */
#include "train/mode_tracking.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/partial_file.h"
#include "output/file_names.h"
#include "output/output.h"

/* The factor by which mode i of the residual has decayed after `step` steps
 * of the linearised dynamics: |1 - rate_i|^t for the discrete gradient
 * descent that training runs (exact on the linearised model, as training.csv's
 * predicted_loss), exp(-rate_i t) for gradient flow (predicted_loss_continuous). */
static double decay(double rate, double step, int discrete)
{
    return discrete ? pow(fabs(1.0 - rate), step) : exp(-rate * step);
}

/* r = f - y of all N inputs (N x k) on every rank. Collective. */
static ntk_status gather_residual(mode_tracker *tracker, const ntk_grid *grid,
                                  const ntk_model *model, const ntk_input_block *inputs,
                                  const double *targets)
{
    const int k = model_outputs(model);
    ntk_status status = NTK_OK;
    if (inputs->count > 0)
        status = model_forward(model, inputs->x, inputs->count, tracker->own);
    for (int64_t e = 0; status == NTK_OK && e < inputs->count * k; ++e)
        tracker->own[e] -= targets[e];
    NTK_TRY(ntk_agree(status, grid->comm));
    int *counts = NULL, *offsets = NULL;
    status = NTK_CALLOC(counts, grid->size, "residual gather");
    if (status == NTK_OK)
        status = NTK_CALLOC(offsets, grid->size, "residual gather");
    if (status == NTK_OK && (inputs->n > 2147483647LL || k > 2147483647))
        status = NTK_RAISE(NTK_ERR_MEMORY, "training modes: more than 2^31 inputs to gather");
    status = ntk_agree(status, grid->comm);
    MPI_Datatype row = MPI_DATATYPE_NULL;
    if (status == NTK_OK) {
        for (int r = 0; r < grid->size; ++r) {
            int64_t first = 0, count = 0;
            grid_own_block(inputs->n, grid->size, r, &first, &count);
            counts[r] = (int)count;
            offsets[r] = (int)first;
        }
        NTK_MPI_GOTO(status, MPI_Type_contiguous(k, MPI_DOUBLE, &row), done);
        NTK_MPI_GOTO(status, MPI_Type_commit(&row), done);
        NTK_MPI_GOTO(status, MPI_Allgatherv(tracker->own, (int)inputs->count, row,
                                            tracker->residual, counts, offsets, row, grid->comm),
                     done);
    }
done:
    if (row != MPI_DATATYPE_NULL)
        MPI_Type_free(&row);
    free(counts);
    free(offsets);
    return status;
}

/* projection[i * channels + c] = v_i . r_c for the tracked modes. Collective. */
static ntk_status project(mode_tracker *tracker, const ntk_grid *grid)
{
    const ntk_dmatrix *vectors = &tracker->spectrum->vectors;
    const int64_t lld = vectors->local_rows > 1 ? vectors->local_rows : 1;
    const int channels = tracker->channels;
    memset(tracker->projection, 0, (size_t)(tracker->modes * channels) * sizeof(double));
    for (int64_t lj = 0; lj < vectors->local_cols; ++lj) {
        const int64_t i = grid_global_index(lj, grid->block, grid->mycol, grid->cols);
        if (i >= tracker->modes)
            continue;
        const double *column = vectors->data + lj * lld;
        double *out = tracker->projection + i * channels;
        for (int64_t li = 0; li < vectors->local_rows; ++li) {
            const int64_t row = grid_global_index(li, grid->block, grid->myrow, grid->rows);
            const double *r = tracker->residual + row * channels;
            for (int c = 0; c < channels; ++c)
                out[c] += column[li] * r[c];
        }
    }
    NTK_MPI(MPI_Allreduce(MPI_IN_PLACE, tracker->projection, (int)(tracker->modes * channels),
                          MPI_DOUBLE, MPI_SUM, grid->comm));
    return NTK_OK;
}

ntk_status mode_tracker_begin(const ntk_spectrum *spectrum, const ntk_grid *grid, int64_t modes,
                              int full, int64_t n_inputs, int k, double eta,
                              const char *output_dir, mode_tracker *tracker)
{
    memset(tracker, 0, sizeof *tracker);
    tracker->spectrum = spectrum;
    tracker->modes = modes < spectrum->n_pairs ? modes : spectrum->n_pairs;
    tracker->channels = full ? 1 : k;
    tracker->rows = full ? n_inputs * k : n_inputs;
    const double normaliser = (double)n_inputs * (double)k;
    ntk_status status = NTK_OK;
    if (!spectrum->have_vectors || spectrum->vectors.rows != tracker->rows)
        status = NTK_RAISE(NTK_ERR_INTERNAL, "training.mode_every: no eigenvectors of Theta_0");
    if (status == NTK_OK)
        status = NTK_CALLOC(tracker->rate, tracker->modes + 1, "training modes");
    if (status == NTK_OK)
        status = NTK_CALLOC(tracker->initial, tracker->modes + 1, "training modes");
    if (status == NTK_OK)
        status = NTK_CALLOC(tracker->projection, tracker->modes * tracker->channels + 1,
                            "training modes");
    if (status == NTK_OK)
        status = NTK_CALLOC(tracker->residual, n_inputs * k + 1, "training modes residual");
    if (status == NTK_OK)
        status = NTK_CALLOC(tracker->own, n_inputs * k + 1, "training modes residual");
    if (status == NTK_OK)
        status = output_path(output_dir, OUTPUT_FILE_TRAINING_MODES, tracker->csv_path);
    if (status == NTK_OK && grid->rank == 0) {
        status = partial_file_open(tracker->csv_path, &tracker->csv);
        if (status == NTK_OK)
            fputs("step,mode,measured,predicted,ratio,predicted_continuous\n", tracker->csv);
    }
    NTK_TRY(ntk_agree(status, grid->comm));
    for (int64_t i = 0; i < tracker->modes; ++i)
        tracker->rate[i] = eta * spectrum->values[i] / normaliser;
    return NTK_OK;
}

ntk_status mode_tracker_record(mode_tracker *tracker, const ntk_grid *grid, const ntk_model *model,
                               const ntk_input_block *inputs, const double *targets, int64_t step)
{
    NTK_TRY(gather_residual(tracker, grid, model, inputs, targets));
    NTK_TRY(project(tracker, grid));
    const int64_t modes = tracker->modes;
    if (tracker->n_records == tracker->capacity) {
        const int64_t capacity = tracker->capacity > 0 ? 2 * tracker->capacity : 64;
        double *steps = realloc(tracker->steps, (size_t)capacity * sizeof(double));
        if (steps != NULL)
            tracker->steps = steps;
        double *measured = steps != NULL ? realloc(tracker->measured,
                                                   (size_t)(capacity * modes + 1) * sizeof(double))
                                         : NULL;
        if (measured != NULL) {
            tracker->measured = measured;
            tracker->capacity = capacity;
        }
        NTK_TRY(ntk_agree(measured == NULL
                              ? NTK_RAISE(NTK_ERR_MEMORY, "training modes: out of memory")
                              : NTK_OK,
                          grid->comm));
    }
    double *measured = tracker->measured + tracker->n_records * modes;
    tracker->steps[tracker->n_records++] = (double)step;
    for (int64_t i = 0; i < modes; ++i) {
        double sum = 0.0;
        for (int c = 0; c < tracker->channels; ++c)
            sum += fabs(tracker->projection[i * tracker->channels + c]);
        measured[i] = sum;
        if (step == 0)
            tracker->initial[i] = sum;
        const double predicted = decay(tracker->rate[i], (double)step, 1) * tracker->initial[i];
        const double continuous = decay(tracker->rate[i], (double)step, 0) * tracker->initial[i];
        if (tracker->csv == NULL)
            continue;
        fprintf(tracker->csv, "%lld,%lld,%.17g,%.17g,", (long long)step, (long long)(i + 1), sum,
                predicted);
        if (predicted != 0.0)
            fprintf(tracker->csv, "%.17g", sum / predicted);
        fprintf(tracker->csv, ",%.17g\n", continuous);
    }
    return NTK_OK;
}

/* training_modes.svg: the measured (solid) and predicted (dashed) curves of
 * the first few modes, log scale. Rank-local. */
static ntk_status write_plot(const mode_tracker *tracker, const char *output_dir,
                             const char *title)
{
    enum { SHOWN = 5 };
    const int64_t shown = tracker->modes < SHOWN ? tracker->modes : SHOWN;
    const int64_t n = tracker->n_records;
    output_svg_series series[2 * SHOWN];
    char labels[2 * SHOWN][48];
    double *values = calloc((size_t)(2 * SHOWN * n + 1), sizeof(double));
    if (values == NULL)
        return NTK_RAISE(NTK_ERR_MEMORY, "training_modes plot: out of memory");
    for (int64_t i = 0; i < shown; ++i) {
        double *measured = values + (2 * i) * n, *predicted = values + (2 * i + 1) * n;
        for (int64_t r = 0; r < n; ++r) {
            measured[r] = tracker->measured[r * tracker->modes + i];
            predicted[r] = decay(tracker->rate[i], tracker->steps[r], 1) * tracker->initial[i];
        }
        snprintf(labels[2 * i], sizeof labels[2 * i], "mode %lld", (long long)(i + 1));
        snprintf(labels[2 * i + 1], sizeof labels[2 * i + 1], "predicted %lld",
                 (long long)(i + 1));
        series[2 * i] = (output_svg_series){labels[2 * i], n, tracker->steps, measured, (int)i, 0};
        series[2 * i + 1] =
            (output_svg_series){labels[2 * i + 1], n, tracker->steps, predicted, (int)i, 1};
    }
    const output_svg_chart chart = {OUTPUT_FILE_TRAINING_MODES_SVG, title,
                                    "residual on the top eigenvectors of Theta_0: measured "
                                    "(solid) and |1 - rate_i|^t |v_i . r_0| (dashed)",
                                    "training step", "sum over outputs of |v_i . r_t|", 1};
    ntk_status status = output_write_svg_lines(output_dir, &chart, series, (int)(2 * shown));
    free(values);
    return status;
}

ntk_status mode_tracker_finish(mode_tracker *tracker, const ntk_grid *grid, const char *output_dir,
                               const char *title, int plot)
{
    ntk_status status = NTK_OK;
    if (tracker->csv != NULL) {
        FILE *csv = tracker->csv;
        tracker->csv = NULL;
        status = partial_file_commit(tracker->csv_path, csv);
        if (status == NTK_OK && plot)
            status = write_plot(tracker, output_dir, title);
    }
    NTK_TRY(ntk_agree(status, grid->comm));
    return NTK_OK;
}

void mode_tracker_free(mode_tracker *tracker)
{
    if (tracker->csv != NULL) /* an unfinished table is not left under any name */
        partial_file_discard(tracker->csv_path, tracker->csv);
    free(tracker->rate);
    free(tracker->initial);
    free(tracker->projection);
    free(tracker->residual);
    free(tracker->own);
    free(tracker->steps);
    free(tracker->measured);
    memset(tracker, 0, sizeof *tracker);
}
