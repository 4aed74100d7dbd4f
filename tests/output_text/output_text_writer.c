/* Writes the text outputs for a small hand-made spectrum into argv[1]/with
 * (targets, top-k of a larger matrix) and argv[1]/without (values only, no
 * targets, a non-positive eigenvalue); check_outputs.sh checks the files. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job/job.h"
#include "output/output.h"

static int write_case(const char *dir, int with_targets)
{
    static ntk_job job; /* large: keep it off the stack */
    memset(&job, 0, sizeof job);
    snprintf(job.path, sizeof job.path, "jobs/test.yaml");
    snprintf(job.name, sizeof job.name, "test <job> & \"plot\"");
    job.dynamics.learning_rate = 0.5;
    job.dynamics.n_steps = 4;
    const int64_t steps[4] = {0, 1, 10, 1000};
    memcpy(job.dynamics.steps, steps, sizeof steps);
    job.spectrum.vectors = with_targets;
    job.spectrum.top = with_targets ? 3 : 0;
    job.grid.block = 2;
    job.model.n_dense = 2;
    job.model.width[0] = 8;
    job.model.width[1] = 2;
    /* Activations are handles now: a zeroed spec holds none, not identity. */
    job.model.act[0] = NTK_ACT_IDENTITY;
    job.model.act[1] = NTK_ACT_IDENTITY;
    job.model.w_std = 1.0;
    snprintf(job.output.dir, sizeof job.output.dir, "%s", dir);

    /* Eigenvalues 1e3 .. 1e-3 for the targets case (3 of M = 5); the
     * values-only case has 4 with one negative. */
    double values_targets[3] = {1000.0, 2.5, 1e-3};
    double values_plain[4] = {7.0, 0.25, 1e-20, -1e-9};
    double rate[4], gd[4], energy[3] = {0.5, 0.25, 0.125}, cumulative[3] = {0.5, 0.75, 0.875};
    ntk_spectrum spectrum;
    memset(&spectrum, 0, sizeof spectrum);
    spectrum.n_pairs = with_targets ? 3 : 4;
    spectrum.values = with_targets ? values_targets : values_plain;
    spectrum.have_vectors = with_targets;
    spectrum.vectors.rows = 5;
    spectrum.solver = with_targets ? "pdsyevr" : "pdsyevr";
    spectrum.diagonal_sum = with_targets ? 1002.6 : 7.25;

    ntk_modes modes;
    memset(&modes, 0, sizeof modes);
    modes.n_pairs = spectrum.n_pairs;
    modes.loss_normaliser = 4.0;
    for (int i = 0; i < spectrum.n_pairs; ++i) {
        rate[i] = 0.5 * spectrum.values[i] / 4.0;
        gd[i] = fabs(1.0 - rate[i]);
    }
    modes.rate = rate;
    modes.gd_factor = gd;
    modes.have_targets = with_targets;
    modes.target_energy = with_targets ? energy : NULL;
    modes.cumulative_energy = with_targets ? cumulative : NULL;
    modes.residual_norm2 = with_targets ? 16.0 : 0.0;
    modes.unresolved_energy = with_targets ? 0.125 : 0.0;
    modes.n_steps = 4;
    memcpy(modes.steps, steps, sizeof steps);
    if (with_targets)
        for (int j = 0; j < 4; ++j)
            modes.predicted_loss[j] = modes_predicted_loss_at(&modes, (double)steps[j]);
    modes.lambda_max = spectrum.values[0];
    modes.lambda_min = spectrum.values[spectrum.n_pairs - 1];
    modes.condition_number = modes.lambda_min > 0 ? modes.lambda_max / modes.lambda_min : INFINITY;
    modes.effective_rank = 1.5;
    modes.largest_stable_learning_rate = 8.0 / modes.lambda_max;

    ntk_grid grid;
    memset(&grid, 0, sizeof grid);
    grid.rows = 1;
    grid.cols = 2;
    grid.block = 2;
    ntk_kernel_stats stats = {"structured", 10.0, 1.0e21, 3, 1, 2.0, 3.0, 2.0, 3.0, 4.0, 6.0, 5.0, 8.0, 0};
    ntk_phase_times phases;
    memset(&phases, 0, sizeof phases);
    phases.count = 2;
    snprintf(phases.name[0], sizeof phases.name[0], "assemble theta");
    phases.seconds[0] = 0.25;
    snprintf(phases.name[1], sizeof phases.name[1], "eigensolve");
    phases.seconds[1] = 3.0;
    ntk_run_facts facts = {0};
    facts.n_inputs = with_targets ? 5 : 4;
    facts.input_dim = 3;
    facts.k = 1;
    facts.m_rows = facts.n_inputs;
    facts.n_params = 50;
    facts.ranks = 2;
    facts.grid = &grid;
    facts.kernel = &stats;
    facts.spectrum = &spectrum;
    facts.modes = &modes;
    facts.phases = &phases;
    facts.training_final_loss = -1.0;
    facts.kernel_change = -1.0;
    facts.wall_seconds = 4.0;
    facts.learning_rate = job.dynamics.learning_rate;
    char *echo = NULL;
    if (job_echo_text(&job, 2, &echo) != NTK_OK) {
        fprintf(stderr, "job echo: %s\n", ntk_error_message());
        return 1;
    }
    facts.job_echo = echo;

    const int failed =
        output_prepare_dir(dir, MPI_COMM_WORLD) != NTK_OK ||
        output_write_eigenvalues(dir, &spectrum) != NTK_OK ||
        output_write_modes_csv(dir, &spectrum, &modes, NULL) != NTK_OK ||
        output_write_summary(dir, &facts) != NTK_OK ||
        output_write_svg(dir, job.name, job.dynamics.learning_rate, &spectrum, &modes) != NTK_OK;
    free(echo);
    if (failed) {
        fprintf(stderr, "writing %s failed: %s\n", dir, ntk_error_message());
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    if (argc != 2) {
        fprintf(stderr, "usage: output_text_writer DIR\n");
        return 2;
    }
    char with[4096], without[4096];
    snprintf(with, sizeof with, "%s/with", argv[1]);
    snprintf(without, sizeof without, "%s/without", argv[1]);
    int failed = write_case(with, 1) || write_case(without, 0);
    MPI_Finalize();
    return failed;
}
