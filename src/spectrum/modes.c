/* Training modes from the spectrum (docs/design.md, "Training dynamics and
 * modes"): per-mode rates,
 * target energies (projections of the residual on the eigenvectors), the
 * predicted loss curve and the summary statistics of the spectrum. */
#include "spectrum/spectrum.h"
#include "core/mpi_sum.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { DESC_LLD = 8 };

/* P[i * channels + c] = v_i . r_c. Each eigenvector element lives on exactly
 * one rank, so local partial sums added over all ranks give the projections. */
static ntk_status project_residual(const ntk_spectrum *spectrum, const ntk_grid *grid,
                                   const double *residual, int channels, double *projection)
{
    const ntk_dmatrix *v = &spectrum->vectors;
    const int64_t pairs = spectrum->n_pairs;
    const int64_t lld = v->desc[DESC_LLD];
    double *local = NULL;
    ntk_status status = NTK_CALLOC(local, pairs * channels, "residual projections");
    NTK_TRY(ntk_agree(status, grid->comm));
    /* kernel.precision float32: the float32 eigenvectors, each product and
     * sum in float64 */
    const float *single = spectrum->single_precision ? spectrum->vectors_single.data : NULL;
    for (int64_t lc = 0; lc < v->local_cols; ++lc) {
        const int64_t mode = grid_global_index(lc, grid->block, grid->mycol, grid->cols);
        double *out = local + mode * channels;
        for (int64_t lr = 0; lr < v->local_rows; ++lr) {
            const int64_t row = grid_global_index(lr, grid->block, grid->myrow, grid->rows);
            const double *r = residual + row * channels;
            const double entry = single != NULL ? (double)single[lc * lld + lr]
                                                : v->data[lc * lld + lr];
            for (int c = 0; c < channels; ++c)
                out[c] += entry * r[c];
        }
    }
    status = ntk_allreduce_sum(local, projection, pairs * channels, grid->comm);
    free(local);
    return status;
}

double modes_predicted_loss_at(const ntk_modes *modes, double step)
{
    double resolved = 0.0;
    for (int64_t i = 0; i < modes->n_pairs; ++i)
        resolved += exp(-2.0 * modes->rate[i] * step) * modes->target_energy[i];
    /* With only the top-k modes known, the energy in the others is kept
     * constant: their rates are the smallest, so this is an upper bound that
     * is tight while exp(-2 rate_k t) is still close to 1. With all modes
     * computed it is only rounding, clamped at zero. */
    const double unresolved = modes->unresolved_energy > 0.0 ? modes->unresolved_energy : 0.0;
    return modes->residual_norm2 * (resolved + unresolved) / (2.0 * modes->loss_normaliser);
}

double modes_predicted_loss_lower_at(const ntk_modes *modes, double step)
{
    double resolved = 0.0;
    for (int64_t i = 0; i < modes->n_pairs; ++i)
        resolved += exp(-2.0 * modes->rate[i] * step) * modes->target_energy[i];
    const double unresolved = modes->unresolved_energy > 0.0 ? modes->unresolved_energy : 0.0;
    const double slowest = modes->n_pairs > 0 && modes->rate[modes->n_pairs - 1] > 0.0
                               ? modes->rate[modes->n_pairs - 1]
                               : 0.0;
    return modes->residual_norm2 * (resolved + unresolved * exp(-2.0 * slowest * step)) /
           (2.0 * modes->loss_normaliser);
}

static void spectrum_statistics(const ntk_spectrum *spectrum, int64_t nk, ntk_modes *modes)
{
    const double *lambda = spectrum->values;
    const int64_t pairs = spectrum->n_pairs;
    modes->lambda_max = pairs > 0 ? lambda[0] : 0.0;
    modes->lambda_min = pairs > 0 ? lambda[pairs - 1] : 0.0;
    modes->condition_number =
        modes->lambda_min > 0.0 ? modes->lambda_max / modes->lambda_min : INFINITY;
    double sum = 0.0, sum_squares = 0.0;
    for (int64_t i = 0; i < pairs; ++i) {
        sum += lambda[i];
        sum_squares += lambda[i] * lambda[i];
    }
    modes->effective_rank = sum_squares > 0.0 ? sum * sum / sum_squares : 0.0;
    modes->largest_stable_learning_rate =
        modes->lambda_max > 0.0 ? 2.0 * (double)nk / modes->lambda_max : INFINITY;
}

ntk_status modes_compute(const ntk_dynamics_spec *dynamics, const ntk_spectrum *spectrum,
                         const ntk_grid *grid, int64_t n_inputs, int k, const double *residual,
                         int64_t residual_rows, int channels, ntk_modes *modes)
{
    memset(modes, 0, sizeof *modes);
    const int64_t pairs = spectrum->n_pairs;
    const int64_t nk = n_inputs * (int64_t)k;
    if (nk < 1)
        return NTK_RAISE(NTK_ERR_INTERNAL, "modes: N k = %lld", (long long)nk);
    modes->n_pairs = pairs;
    modes->loss_normaliser = (double)nk;

    ntk_status status = NTK_CALLOC(modes->rate, pairs, "mode rates");
    if (status == NTK_OK)
        status = NTK_CALLOC(modes->gd_factor, pairs, "mode factors");
    const int have_targets = residual != NULL && spectrum->have_vectors;
    if (have_targets && status == NTK_OK) {
        if (residual_rows != spectrum->vectors.rows || channels < 1)
            status = NTK_RAISE(NTK_ERR_INTERNAL,
                               "modes: residual has %lld rows x %d channels, eigenvectors %lld rows",
                               (long long)residual_rows, channels,
                               (long long)spectrum->vectors.rows);
        if (status == NTK_OK)
            status = NTK_CALLOC(modes->target_energy, pairs, "target energies");
        if (status == NTK_OK)
            status = NTK_CALLOC(modes->cumulative_energy, pairs, "cumulative energies");
    }
    status = ntk_agree(status, grid->comm);
    if (status != NTK_OK) {
        modes_free(modes);
        return status;
    }

    const double eta = dynamics->learning_rate;
    for (int64_t i = 0; i < pairs; ++i) {
        modes->rate[i] = eta * spectrum->values[i] / (double)nk;
        modes->gd_factor[i] = fabs(1.0 - modes->rate[i]);
    }
    spectrum_statistics(spectrum, nk, modes);
    modes->n_steps = dynamics->n_steps;
    memcpy(modes->steps, dynamics->steps, sizeof(int64_t) * (size_t)dynamics->n_steps);

    /* ||r|| is reported even when there are no eigenvectors to project on. */
    double norm2 = 0.0;
    if (residual != NULL)
        for (int64_t e = 0; e < residual_rows * channels; ++e)
            norm2 += residual[e] * residual[e];
    modes->residual_norm2 = norm2;
    if (!have_targets)
        return NTK_OK;
    modes->have_targets = 1;

    double *projection = NULL;
    status = ntk_agree(NTK_CALLOC(projection, pairs * channels, "residual projections"), grid->comm);
    if (status == NTK_OK)
        status = project_residual(spectrum, grid, residual, channels, projection);
    if (status != NTK_OK) {
        free(projection);
        modes_free(modes);
        return NTK_FRAME(status);
    }

    double cumulative = 0.0;
    for (int64_t i = 0; i < pairs; ++i) {
        double energy = 0.0;
        for (int c = 0; c < channels; ++c)
            energy += projection[i * channels + c] * projection[i * channels + c];
        /* A zero residual (targets equal the initial outputs) has no modes
         * to explain: energies 0, loss 0. */
        modes->target_energy[i] = norm2 > 0.0 ? energy / norm2 : 0.0;
        cumulative += modes->target_energy[i];
        modes->cumulative_energy[i] = cumulative;
    }
    free(projection);
    /* With every mode computed, 1 - sum(E_i) is only rounding: report 0 so
     * the predicted loss keeps falling instead of flooring at ~1e-16. */
    const int all_modes = pairs == spectrum->vectors.rows;
    modes->unresolved_energy = norm2 > 0.0 && !all_modes ? 1.0 - cumulative : 0.0;
    modes->have_loss_lower_bound = !all_modes && norm2 > 0.0;
    for (int j = 0; j < modes->n_steps; ++j) {
        modes->predicted_loss[j] = modes_predicted_loss_at(modes, (double)modes->steps[j]);
        if (modes->have_loss_lower_bound)
            modes->predicted_loss_lower[j] =
                modes_predicted_loss_lower_at(modes, (double)modes->steps[j]);
    }
    return NTK_OK;
}

void modes_free(ntk_modes *modes)
{
    free(modes->rate);
    free(modes->gd_factor);
    free(modes->target_energy);
    free(modes->cumulative_energy);
    memset(modes, 0, sizeof *modes);
}
