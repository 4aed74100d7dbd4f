/* The empirical NTK along real training (training.kernel_every,
 * docs/diagnostics.md "Kernel drift"): every kernel_every steps (and at step
 * 0 and the last step) Theta_t is assembled at the current parameters and
 * compared with Theta_0 and with the previous recorded kernel. Rows of
 * kernel_drift.csv:
 *   step, kernel_distance (1 - <Theta_t, Theta_0>_F / (||.|| ||.||)),
 *   relative_frobenius (||Theta_t - Theta_0||_F / ||Theta_0||_F),
 *   velocity (the kernel distance between consecutive recorded kernels over
 *   the steps between them; empty at step 0), alignment (uncentred
 *   kernel-target alignment of Theta_t), train_loss.
 * Memory: Theta_0's copy, the previous and the current kernel, three
 * distributed matrices of Theta's size besides none other (Theta itself is
 * freed by the eigensolver before training). */
#ifndef NTK_TRAIN_KERNEL_DRIFT_H
#define NTK_TRAIN_KERNEL_DRIFT_H

#include <stdio.h>

#include "grid/grid.h"
#include "kernel/kernel.h"
#include "model/model.h"

typedef struct {
    const ntk_kernel_config *kernel;
    const ntk_dmatrix *initial;  /* Theta_0 (lower triangle read) */
    const double *targets;       /* y of all N inputs (N x k) on every rank */
    int channels;                /* k (trace kernel) or 1 (full) */
    ntk_dmatrix previous;        /* the last recorded kernel after step 0 */
    int64_t previous_step;
    int64_t n_records, capacity;
    double *columns;             /* capacity x 6: the csv's values, for the plot */
    FILE *csv;
    char csv_path[NTK_PATH_MAX];
} kernel_drift;

/* Open kernel_drift.csv (a partial file). Collective. */
ntk_status kernel_drift_begin(const ntk_kernel_config *kernel, const ntk_grid *grid,
                              const ntk_dmatrix *initial, const double *targets, int channels,
                              const char *output_dir, kernel_drift *drift);

/* Record step `step` (train loss `loss`) at the model's current parameters;
 * step 0 is Theta_0 itself. Collective. */
ntk_status kernel_drift_record(kernel_drift *drift, const ntk_grid *grid, const ntk_model *model,
                               const ntk_input_block *inputs, int64_t step, double loss);

/* Commit kernel_drift.csv and, when `plot`, write kernel_drift.svg. Collective. */
ntk_status kernel_drift_finish(kernel_drift *drift, const ntk_grid *grid, const char *output_dir,
                               const char *title, int plot);

/* Free everything; a csv not committed is removed. Rank-local. */
void kernel_drift_free(kernel_drift *drift);

#endif
