/* Measured per-mode convergence during real training (training.mode_every,
 * docs/diagnostics.md "Training modes").
 *
 * Every mode_every steps (and at step 0 and the last step) the residual
 * r_t = f_t - y of all N inputs is projected on the top training.modes
 * eigenvectors v_i of Theta_0 and compared with the linearised prediction:
 *   measured_i(t)  = sum_o |v_i . r_t,o|
 *   predicted_i(t) = |1 - rate_i|^t sum_o |v_i . r_0,o|,  rate_i = eta lambda_i / (N k)
 * with eta = training.learning_rate: the discrete gradient descent training
 * runs, exact for the linearised model (docs/design.md: the discrete GD factor
 * |1 - rate_i|), as training.csv's predicted_loss; predicted_continuous is
 * gradient flow's exp(-rate_i t) sum_o |v_i . r_0,o|. A full kernel has one
 * residual vector of length N k (row x*k + o) and eigenvectors of that length.
 * Rows of training_modes.csv: step, mode, measured, predicted, ratio
 * (measured / predicted; empty when predicted is 0), predicted_continuous. */
#ifndef NTK_TRAIN_MODE_TRACKING_H
#define NTK_TRAIN_MODE_TRACKING_H

#include <stdio.h>

#include "grid/grid.h"
#include "kernel/kernel.h"
#include "model/model.h"
#include "spectrum/spectrum.h"

typedef struct {
    int64_t modes;            /* tracked: min(training.modes, eigenpairs) */
    int channels;             /* k (trace kernel) or 1 (full) */
    int64_t rows;             /* N or N k */
    double *rate;             /* modes */
    double *initial;          /* modes: sum_o |v_i . r_0,o| */
    double *projection;       /* modes x channels, scratch */
    double *residual;         /* N k on every rank */
    double *own;              /* own block's residual */
    /* every recorded value, for training_modes.svg */
    int64_t n_records, capacity;
    double *steps, *measured; /* capacity; capacity x modes */
    FILE *csv;
    char csv_path[NTK_PATH_MAX];
    const ntk_spectrum *spectrum;
} mode_tracker;

/* Open training_modes.csv (a partial file) for the top `modes` modes of
 * `spectrum` (which must have eigenvectors), eta the training learning rate.
 * Collective. */
ntk_status mode_tracker_begin(const ntk_spectrum *spectrum, const ntk_grid *grid, int64_t modes,
                              int full, int64_t n_inputs, int k, double eta,
                              const char *output_dir, mode_tracker *tracker);

/* Record step `step` at the model's current parameters; the first call
 * (step 0) also sets r_0. Collective. */
ntk_status mode_tracker_record(mode_tracker *tracker, const ntk_grid *grid, const ntk_model *model,
                               const ntk_input_block *inputs, const double *targets, int64_t step);

/* Commit training_modes.csv and, when `plot`, write training_modes.svg.
 * Collective. */
ntk_status mode_tracker_finish(mode_tracker *tracker, const ntk_grid *grid, const char *output_dir,
                               const char *title, int plot);

/* Free everything; a csv not committed is removed. Rank-local. */
void mode_tracker_free(mode_tracker *tracker);

#endif
