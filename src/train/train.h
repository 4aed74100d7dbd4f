/* Real training against the spectral prediction: full-batch gradient descent
 * on the MSE loss (1/(2Nk) sum (f - y)^2) of docs/design.md, "Training
 * dynamics and modes", distributed over the
 * ranks (each rank's own input block; gradients summed with MPI_Allreduce).
 * Writes training.csv (step, measured_loss, predicted_loss,
 * predicted_loss_continuous; train/prediction.h says which formula is which;
 * with held-out data also test_loss and predicted_test_loss_continuous),
 * rows at step 0, every training.record_every steps and the last step. With
 * training.kernel_after, recomputes the empirical NTK at the trained
 * parameters and reports ||Theta_T - Theta_0||_F / ||Theta_0||_F. With
 * training.kernel_every, the kernel along the way (kernel_drift.h); with
 * training.mode_every, the residual on the top modes (mode_tracking.h). */
#ifndef NTK_TRAIN_TRAIN_H
#define NTK_TRAIN_TRAIN_H

#include "grid/grid.h"
#include "kernel/kernel.h"
#include "train/train_config.h"
#include "model/model.h"
#include "spectrum/spectrum.h"

/* Held-out data to record during training (training.csv's test_loss and
 * predicted_test_loss_continuous columns): this rank's own block of the test
 * inputs and targets (count x k), and the linearised network's test loss at a
 * step under gradient flow (collective; src/predict/ provides it). */
typedef struct {
    const ntk_input_block *inputs;
    const double *targets;
    ntk_status (*predicted_loss)(void *context, double step, double *loss);
    void *context;
} ntk_training_test;

/* What training reads of the configuration. */
typedef struct {
    const ntk_training_spec *training; /* the training section */
    ntk_kernel_config kernel;          /* the assembly of training.kernel_after */
    const char *output_dir;            /* output.dir: training.csv's folder */
    const char *job_path;              /* the job file, for messages */
    /* training.kernel_every's alignment column: y of all N inputs (N x k)
     * on every rank, or NULL (the column is then empty) */
    const double *all_targets;
    const char *title;                 /* the job's name, for the plots */
    int plot;                          /* output.plot: kernel_drift.svg, training_modes.svg */
} ntk_training_config;

typedef struct {
    double final_loss;
    double kernel_change;   /* -1 when not computed */
} ntk_training_result;

/* `model` is trained in place. `targets` are the own block's targets
 * (inputs->count x k). `modes` gives the prediction (its eigen-decomposition
 * at initialisation); `theta_initial` is Theta_0 when kernel_after or
 * kernel_every is set (else NULL); `test` the held-out data to record (NULL: none). Collective. */
ntk_status training_run(const ntk_training_config *config, ntk_model *model, const ntk_grid *grid,
                        const ntk_input_block *inputs, const double *targets,
                        const ntk_spectrum *spectrum, const ntk_modes *modes,
                        const ntk_dmatrix *theta_initial, const ntk_training_test *test,
                        ntk_training_result *result);

#endif
