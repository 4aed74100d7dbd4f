/* Full-batch gradient descent on the real network, recorded against the
 * spectral prediction (see train.h).
 *
 * Each step: every rank runs forward/backward for its own input block
 * (model_features: the same features the kernel uses), forms its share of the
 * gradient and squared error, and one MPI_Allreduce sums both (the loss is a
 * sum over inputs, so the sum of the blocks is the full-batch gradient). All
 * ranks then apply the same update to their identical parameter copies, so
 * the parameters stay identical on every rank without a broadcast.
 *
 * training.csv columns: step, measured_loss, predicted_loss (the discrete-GD
 * prediction (1 - rate_i)^(2t), see prediction.h) and
 * predicted_loss_continuous (the gradient-flow exp(-2 rate_i t) of docs/design.md,
 * "Training dynamics and modes"), for
 * comparison. Rows at step 0, every record_every steps and the last step. */
#include "train/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/signals.h"
#include "core/log.h"
#include "core/partial_file.h"
#include "output/file_names.h"
#include "output/output.h"
#include "train/gradient.h"
#include "train/kernel_change.h"
#include "train/kernel_drift.h"
#include "train/mode_tracking.h"
#include "train/prediction.h"

/* Buffers of one training run, freed together. */
typedef struct {
    double *params;
    double *gradient_local; /* n_params + 1: the squared error rides along in the reduction */
    double *gradient;
    FILE *csv;
    char csv_path[NTK_PATH_MAX];
    kernel_drift drift;      /* training.kernel_every */
    int drifting;
    mode_tracker tracker;    /* training.mode_every */
    int tracking;
} training_state;

static void training_state_free(training_state *state)
{
    kernel_drift_free(&state->drift);
    mode_tracker_free(&state->tracker);
    free(state->params);
    free(state->gradient_local);
    free(state->gradient);
    if (state->csv != NULL) /* an unfinished table is not left under any name */
        partial_file_discard(state->csv_path, state->csv);
}

static int step_is_recorded(int64_t step, int64_t steps, int64_t record_every)
{
    return step == 0 || step == steps || step % record_every == 0;
}

/* Loss and full-batch gradient at the current parameters. `gradient` gets
 * n_params + 1 values: the gradient, then the sum of squared residuals.
 * Collective. */
static ntk_status loss_and_gradient(const ntk_model *model, const ntk_grid *grid,
                                    const ntk_input_block *inputs, const double *targets,
                                    double normaliser, training_state *state, double *loss)
{
    const int64_t n_params = model->n_params;
    ntk_features features;
    memset(&features, 0, sizeof features);
    ntk_status status = NTK_OK;
    double squared_error = 0.0;
    if (inputs->count > 0)
        status = model_features(model, inputs->x, inputs->count, &features);
    if (status == NTK_OK) {
        features.count = inputs->count; /* also right when the block is empty */
        status = training_block_gradient(model, &features, targets, normaliser,
                                         state->gradient_local, &squared_error);
    }
    if (inputs->count > 0)
        model_features_free(&features);
    NTK_TRY(ntk_agree(status, grid->comm));
    state->gradient_local[n_params] = squared_error;
    NTK_MPI(MPI_Allreduce(state->gradient_local, state->gradient, (int)(n_params + 1), MPI_DOUBLE,
                          MPI_SUM, grid->comm));
    *loss = state->gradient[n_params] / (2.0 * normaliser);
    return NTK_OK;
}

/* The measured loss on the held-out data at the current parameters:
 * 1/(2 N_test k) sum (f - y_test)^2 over every rank's own block. Collective. */
static ntk_status held_out_loss(const ntk_model *model, const ntk_grid *grid,
                                const ntk_training_test *test, double *loss)
{
    const int k = model_outputs(model);
    const ntk_input_block *block = test->inputs;
    double *outputs = NULL, sum = 0.0;
    ntk_status status = NTK_CALLOC(outputs, block->count * k + 1, "held-out outputs");
    if (status == NTK_OK && block->count > 0)
        status = model_forward(model, block->x, block->count, outputs);
    for (int64_t e = 0; status == NTK_OK && e < block->count * k; ++e) {
        double d = outputs[e] - test->targets[e];
        sum += d * d;
    }
    free(outputs);
    NTK_TRY(ntk_agree(status, grid->comm));
    NTK_MPI(MPI_Allreduce(MPI_IN_PLACE, &sum, 1, MPI_DOUBLE, MPI_SUM, grid->comm));
    *loss = sum / (2.0 * (double)block->n * (double)k);
    return NTK_OK;
}

static ntk_status open_csv(const ntk_training_config *config, const ntk_grid *grid, int with_test,
                           training_state *state)
{
    ntk_status status = output_path(config->output_dir, OUTPUT_FILE_TRAINING, state->csv_path);
    if (status == NTK_OK && grid->rank == 0) {
        status = partial_file_open(state->csv_path, &state->csv);
        if (status == NTK_OK)
            fprintf(state->csv, "step,measured_loss,predicted_loss,predicted_loss_continuous%s\n",
                    with_test ? ",test_loss,predicted_test_loss_continuous" : "");
    }
    NTK_TRY(ntk_agree(status, grid->comm));
    return NTK_OK;
}

static void write_row(training_state *state, int64_t step, double measured, int have_prediction,
                      double discrete, double continuous, const double *test)
{
    if (state->csv == NULL)
        return;
    if (have_prediction)
        fprintf(state->csv, "%lld,%.17g,%.17g,%.17g", (long long)step, measured, discrete,
                continuous);
    else
        fprintf(state->csv, "%lld,%.17g,,", (long long)step, measured);
    if (test != NULL)
        fprintf(state->csv, ",%.17g,%.17g", test[0], test[1]);
    fputc('\n', state->csv);
}

/* training.kernel_every and training.mode_every: their recorders, or
 * nothing when the job asks for neither. Collective. */
static ntk_status begin_recorders(const ntk_training_config *config, const ntk_grid *grid,
                                  const ntk_model *model, const ntk_input_block *inputs,
                                  const ntk_spectrum *spectrum, const ntk_dmatrix *theta_initial,
                                  training_state *state)
{
    const ntk_training_spec *training = config->training;
    const int full = config->kernel.kernel->outputs == NTK_OUTPUTS_FULL;
    const int k = model_outputs(model);
    if (training->kernel_every > 0 && theta_initial != NULL) {
        NTK_TRY(kernel_drift_begin(&config->kernel, grid, theta_initial, config->all_targets,
                                   full ? 1 : k, config->output_dir, &state->drift));
        state->drifting = 1;
    }
    if (training->mode_every > 0 && spectrum != NULL && spectrum->have_vectors) {
        NTK_TRY(mode_tracker_begin(spectrum, grid, training->modes, full, inputs->n, k,
                                   training->learning_rate, config->output_dir, &state->tracker));
        state->tracking = 1;
    } else if (training->mode_every > 0) {
        ntk_warn("training.mode_every: no eigenvectors of Theta_0, so no " OUTPUT_FILE_TRAINING_MODES);
    }
    return NTK_OK;
}

/* The recorders' rows at `step`. Collective. */
static ntk_status record_step(const ntk_training_config *config, const ntk_grid *grid,
                              const ntk_model *model, const ntk_input_block *inputs,
                              const double *targets, int64_t step, int64_t steps, double loss,
                              training_state *state)
{
    const ntk_training_spec *training = config->training;
    if (state->drifting && (step % training->kernel_every == 0 || step == steps))
        NTK_TRY(kernel_drift_record(&state->drift, grid, model, inputs, step, loss));
    if (state->tracking && (step % training->mode_every == 0 || step == steps))
        NTK_TRY(mode_tracker_record(&state->tracker, grid, model, inputs, targets, step));
    return NTK_OK;
}

static ntk_status finish_recorders(const ntk_training_config *config, const ntk_grid *grid,
                                   training_state *state)
{
    if (state->drifting)
        NTK_TRY(kernel_drift_finish(&state->drift, grid, config->output_dir, config->title,
                                    config->plot));
    if (state->tracking)
        NTK_TRY(mode_tracker_finish(&state->tracker, grid, config->output_dir, config->title,
                                    config->plot));
    return NTK_OK;
}

static ntk_status train(const ntk_training_config *config, ntk_model *model, const ntk_grid *grid,
                        const ntk_input_block *inputs, const double *targets,
                        const ntk_spectrum *spectrum, const ntk_modes *modes,
                        const ntk_dmatrix *theta_initial, const ntk_training_test *test,
                        training_state *state, double *final_loss, int64_t *steps_done,
                        int *diverged)
{
    const int64_t n_params = model->n_params;
    const int64_t steps = config->training->steps;
    const int64_t record_every =
        config->training->record_every > 0 ? config->training->record_every : 1;
    const double eta = config->training->learning_rate;
    const double normaliser = (double)inputs->n * (double)model_outputs(model);
    const int have_prediction = spectrum != NULL && modes != NULL && modes->have_targets;

    ntk_status status = NTK_CALLOC(state->params, n_params, "training parameters");
    if (status == NTK_OK)
        status = NTK_CALLOC(state->gradient_local, n_params + 1, "training gradient");
    if (status == NTK_OK)
        status = NTK_CALLOC(state->gradient, n_params + 1, "training gradient");
    NTK_TRY(ntk_agree(status, grid->comm));
    NTK_TRY(open_csv(config, grid, test != NULL, state));
    NTK_TRY(begin_recorders(config, grid, model, inputs, spectrum, theta_initial, state));

    if (!have_prediction)
        ntk_warn("training: no eigenvectors or targets at initialisation, so "
                 OUTPUT_FILE_TRAINING " has no predicted loss");
    else if (modes->lambda_max > 0.0 && eta >= 2.0 * normaliser / modes->lambda_max)
        ntk_warn("training.learning_rate %g is at or above the largest stable rate %g "
                 "(2 N k / lambda_max): gradient descent will diverge",
                 eta, 2.0 * normaliser / modes->lambda_max);
    ntk_log("training: %lld steps of full-batch gradient descent, learning rate %g",
            (long long)steps, eta);

    model_get_params(model, state->params);
    const int64_t log_every = steps >= 10 ? steps / 10 : 1;
    double loss = 0.0;
    *diverged = 0;
    for (int64_t step = 0;; ++step) {
        /* A safe point per step: the csv is a partial file, discarded by
         * training_state_free, so a stopped run leaves no training.csv. */
        char where[96];
        snprintf(where, sizeof where, "during training (step %lld of %lld)", (long long)step,
                 (long long)steps);
        NTK_TRY(checkpoint_stop_point(grid->comm, where, NULL));
        NTK_TRY(loss_and_gradient(model, grid, inputs, targets, normaliser, state, &loss));
        const int finite = isfinite(loss);
        if (step_is_recorded(step, steps, record_every) || !finite) {
            double discrete = 0.0, continuous = 0.0;
            if (have_prediction) {
                discrete = training_predicted_loss(spectrum, modes, eta, normaliser, step,
                                                   TRAINING_PREDICT_DISCRETE);
                continuous = training_predicted_loss(spectrum, modes, eta, normaliser, step,
                                                     TRAINING_PREDICT_CONTINUOUS);
            }
            /* Held-out: measured at the current parameters, and predicted. */
            double held_out[2] = {NAN, NAN};
            if (test != NULL) {
                NTK_TRY(held_out_loss(model, grid, test, &held_out[0]));
                NTK_TRY(test->predicted_loss(test->context, (double)step, &held_out[1]));
            }
            write_row(state, step, loss, have_prediction, discrete, continuous,
                      test != NULL ? held_out : NULL);
            if (step > 0 && step % log_every == 0)
                ntk_log("training step %lld: loss %.6g (predicted %.6g)", (long long)step, loss,
                        have_prediction ? discrete : NAN);
        }
        if (finite)
            NTK_TRY(record_step(config, grid, model, inputs, targets, step, steps, loss, state));
        if (!finite) {
            ntk_warn("training: the loss is not finite at step %lld; stopping (learning rate %g "
                     "too large?)", (long long)step, eta);
            *diverged = 1;
            *steps_done = step;
            break;
        }
        *steps_done = step;
        if (step == steps)
            break;
        for (int64_t p = 0; p < n_params; ++p)
            state->params[p] -= eta * state->gradient[p];
        model_set_params(model, state->params);
    }
    *final_loss = loss;

    status = NTK_OK;
    if (state->csv != NULL) {
        FILE *csv = state->csv;
        state->csv = NULL;
        status = partial_file_commit(state->csv_path, csv);
    }
    NTK_TRY(ntk_agree(status, grid->comm));
    /* A diverged run keeps the rows up to the last finite loss. */
    NTK_TRY(finish_recorders(config, grid, state));
    return NTK_OK;
}

ntk_status training_run(const ntk_training_config *config, ntk_model *model, const ntk_grid *grid,
                        const ntk_input_block *inputs, const double *targets,
                        const ntk_spectrum *spectrum, const ntk_modes *modes,
                        const ntk_dmatrix *theta_initial, const ntk_training_test *test,
                        ntk_training_result *result)
{
    result->final_loss = NAN;
    result->kernel_change = -1.0;
    if (targets == NULL && inputs->count > 0)
        return NTK_RAISE(NTK_ERR_JOB, "%s: training needs data.targets", config->job_path);

    training_state state;
    memset(&state, 0, sizeof state);
    int diverged = 0;
    int64_t steps_done = 0;
    ntk_status status = train(config, model, grid, inputs, targets, spectrum, modes,
                              theta_initial, test, &state, &result->final_loss, &steps_done,
                              &diverged);
    training_state_free(&state);
    NTK_TRY(status);
    ntk_log("training: final loss %.6g after %lld steps", result->final_loss,
            (long long)steps_done);

    if (theta_initial != NULL && config->training->kernel_after) {
        if (config->kernel.kernel->kind != NTK_KIND_EMPIRICAL) {
            ntk_warn("training.kernel_after: the kernel is analytic (it does not depend on the "
                     "parameters), so no kernel change is computed");
        } else if (diverged) {
            ntk_warn("training.kernel_after: skipped, training diverged");
        } else {
            NTK_TRY(checkpoint_stop_point(grid->comm, "before training.kernel_after", NULL));
            NTK_TRY(training_kernel_change(&config->kernel, model, grid, inputs, theta_initial,
                                           &result->kernel_change));
            ntk_log("training: ||Theta_T - Theta_0||_F / ||Theta_0||_F = %.6g",
                    result->kernel_change);
        }
    }
    return NTK_OK;
}
