/* plan_make against sizes worked out by hand, the fewest-ranks search against
 * its definition, the memory limit from Slurm's environment, and the message
 * of a job that does not fit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job/job.h"
#include "plan/plan.h"
#include "spectrum/spectrum.h"
#include "check.h"

/* The plan's view of a job built here (job_plan_config); one at a time (the
 * plan keeps a copy). */
static const ntk_plan_config *plan_config_of(const ntk_job *job)
{
    static ntk_plan_config config;
    config = job_plan_config(job);
    return &config;
}


/* d -> 20 -> relu -> k, trace kernel, all eigenpairs, Theta written (whole matrix). */
static void small_job(ntk_job *job, int k)
{
    memset(job, 0, sizeof *job);
    snprintf(job->path, sizeof job->path, "unit.yaml");
    job->model.n_dense = 2;
    job->model.width[0] = 20;
    job->model.width[1] = k;
    job->model.act[0] = NTK_ACT_RELU;
    job->model.w_std = 1.0;
    job->grid.block = 64;
    job->spectrum.vectors = 1;
    job->output.theta = 1;
    job->targets.kind = NTK_SOURCE_NONE;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    ntk_job job;
    ntk_plan plan;

    /* M = 1000 on 4 ranks: a 2 x 2 grid; 15 full blocks of 64 and one of 40,
     * process row 0 holds blocks 0, 2, .., 14 (8 x 64 = 512 rows). */
    small_job(&job, 1);
    job.spectrum.solver = NTK_SOLVER_PDSYEVD; /* its workspace formulas are checked below */
    CHECK(plan_make(plan_config_of(&job), 1000, 10, 4, &plan) == NTK_OK, "plan_make failed");
    CHECK(plan.grid_rows == 2 && plan.grid_cols == 2, "grid %d x %d", plan.grid_rows, plan.grid_cols);
    CHECK(plan.m_rows == 1000, "M = %lld", (long long)plan.m_rows);
    CHECK(plan.bytes_theta == 512.0 * 512.0 * 8.0, "theta %.0f bytes", plan.bytes_theta);
    CHECK(plan.bytes_vectors == plan.bytes_theta, "pdsyevd vectors %.0f", plan.bytes_vectors);
    CHECK(plan.n_params == 10 * 20 + 20 * 1, "params %lld", (long long)plan.n_params);
    CHECK(!plan.lower_only, "theta.npy needs the whole matrix");
    /* per pair: 2 (k n_1 + n_0) + 2 (k n_2 + n_1) = 2 (20 + 10) + 2 (1 + 20) = 102, over
     * the blocks on or below the diagonal, (16 + 1) / 32 of them: the upper
     * triangle is mirrored, not computed, even when theta.npy is written */
    CHECK(fabs(plan.flops_assembly - 102.0 * 1e6 * 17.0 / 32.0) < 1.0, "assembly %.6g flops",
          plan.flops_assembly);
    /* forward 2 (10*20 + 20*1), backward 2 k (20*1), per input */
    CHECK(fabs(plan.flops_features - 1000.0 * (2.0 * 220 + 2.0 * 20)) < 1.0, "features %.6g",
          plan.flops_features);
    CHECK(fabs(plan.flops_solver - 16.0 / 3.0 * 1e9) < 1e3, "solver %.6g", plan.flops_solver);
    CHECK(plan.bytes_peak >= plan.bytes_phase_assembly && plan.bytes_peak >= plan.bytes_phase_solve,
          "peak is not the largest phase");
    /* pdsyevd's documented LWORK dominates: 2 NP NQ doubles at least */
    CHECK(plan.bytes_solver >= 2.0 * plan.bytes_theta, "solver %.0f < 2 theta", plan.bytes_solver);

    /* The measured learning curve before the eigensolve, next to Theta
     * (plan_diagnostics.c), for its largest n = 1000 of [300, 1000] on the
     * same 2 x 2 grid: Theta_SS 512 x 512, its right-hand side 512 x 1, the
     * exchange buffers of the widest panel (ceil(1000 / 8) = 125 columns:
     * block 0 of 64 on process column 0) 2 x 512 x 64, the coefficients
     * n k = 1000, the fits and coefficients 3 N k = 3000, the subset and
     * positions 2 N = 2000, the row indices 512. */
    job.targets.kind = NTK_SOURCE_SYNTHETIC;
    job.diagnostics.enabled = 1;
    job.diagnostics.n_curve_sizes = 2;
    job.diagnostics.curve_sizes[0] = 300;
    job.diagnostics.curve_sizes[1] = 1000;
    ntk_plan curve;
    CHECK(plan_make(plan_config_of(&job), 1000, 10, 4, &curve) == NTK_OK, "plan_make failed");
    const double curve_doubles =
        512.0 * 512 + 512 * 1 + 2.0 * 512 * 64 + 1000 + 3000 + 2000 + 512;
    CHECK(curve.bytes_diagnostics == curve_doubles * 8.0, "learning curve %.0f bytes, not %.0f",
          curve.bytes_diagnostics, curve_doubles * 8.0);
    const double curve_common = curve.bytes_baseline + curve.bytes_inputs + curve.bytes_model;
    CHECK(curve.bytes_phase_diagnostics == curve_common + curve.bytes_theta + curve_doubles * 8.0,
          "diagnostics phase %.0f", curve.bytes_phase_diagnostics);
    CHECK(curve.bytes_peak >= curve.bytes_phase_diagnostics, "peak below the diagnostics phase");
    /* compare_weights: a second kernel with its features and model, here
     * larger than the curve's matrices */
    snprintf(job.diagnostics.compare_weights, sizeof job.diagnostics.compare_weights, "w.st");
    CHECK(plan_make(plan_config_of(&job), 1000, 10, 4, &curve) == NTK_OK, "plan_make failed");
    CHECK(curve.bytes_diagnostics ==
              curve.bytes_theta + curve.bytes_features + curve.bytes_model &&
              curve.bytes_theta + curve.bytes_features + curve.bytes_model > curve_doubles * 8.0,
          "compare_weights %.0f bytes", curve.bytes_diagnostics);
    /* without an eigensolve the peak is the larger of the assembly and the
     * diagnostics phase, named */
    job.diagnostics.compare_weights[0] = '\0';
    job.spectrum.solver = NTK_SOLVER_NONE;
    CHECK(plan_make(plan_config_of(&job), 1000, 10, 4, &curve) == NTK_OK, "plan_make failed");
    const int diagnostics_peak = curve.bytes_phase_diagnostics > curve.bytes_phase_assembly;
    CHECK(strcmp(curve.peak_phase, diagnostics_peak ? "diagnostics" : "assembly") == 0 &&
              curve.bytes_peak == (diagnostics_peak ? curve.bytes_phase_diagnostics
                                                    : curve.bytes_phase_assembly),
          "peak phase %s", curve.peak_phase);
    memset(&job.diagnostics, 0, sizeof job.diagnostics);
    job.targets.kind = NTK_SOURCE_NONE;

    /* Eigenvalues only: pdsyevr, no vectors, lower triangle is enough. */
    job.spectrum.vectors = 0;
    job.spectrum.solver = NTK_SOLVER_PDSYEVR; /* auto would gather to one rank here */
    job.output.theta = 0;
    CHECK(plan_make(plan_config_of(&job), 1000, 10, 4, &plan) == NTK_OK, "plan_make failed");
    CHECK(plan.solver == NTK_SOLVER_PDSYEVR && plan.bytes_vectors == 0.0, "values only: solver %d",
          (int)plan.solver);
    CHECK(plan.lower_only, "values only should fill the lower triangle only");
    /* 16 blocks: (16 + 1) / 32 of them */
    CHECK(fabs(plan.flops_assembly - 102.0 * 1e6 * 17.0 / 32.0) < 1.0, "lower %.6g",
          plan.flops_assembly);

    /* Full kernel: M = N k. */
    small_job(&job, 3);
    job.kernel.outputs = NTK_OUTPUTS_FULL;
    CHECK(plan_make(plan_config_of(&job), 500, 10, 1, &plan) == NTK_OK, "plan_make failed");
    CHECK(plan.m_rows == 1500 && plan.bytes_theta == 1500.0 * 1500.0 * 8.0, "full: M %lld",
          (long long)plan.m_rows);

    /* Fewest ranks: P fits, P - 1 does not. */
    small_job(&job, 1);
    double limit = 64.0 * 1048576.0;
    int fewest = plan_min_ranks(plan_config_of(&job), 8000, 10, limit);
    CHECK(fewest > 1, "8000 inputs should not fit in 64 MiB on one rank");
    /* auto within the limit (plan_make_within), as plan and run choose */
    const ntk_shape flat = {1, {10, 0, 0}, 10};
    CHECK(plan_make_within(plan_config_of(&job), 8000, &flat, fewest, limit, &plan) == NTK_OK &&
              plan.bytes_peak <= limit,
          "%d ranks do not fit", fewest);
    CHECK(plan_make_within(plan_config_of(&job), 8000, &flat, fewest - 1, limit, &plan) == NTK_OK &&
              plan.bytes_peak > limit,
          "%d ranks fit too", fewest - 1);
    printf("8000 inputs in 64 MiB per rank: at least %d ranks\n", fewest);

    /* The refusal names the numbers and the rank count that fits. */
    CHECK(plan_make(plan_config_of(&job), 8000, 10, 1, &plan) == NTK_OK, "plan_make failed");
    CHECK(plan_check_fits(&plan, limit) == NTK_ERR_MEMORY, "should not fit");
    char expected[64];
    snprintf(expected, sizeof expected, "use at least %d ranks", fewest);
    CHECK(strstr(ntk_error_message(), expected) != NULL && strstr(ntk_error_message(), "GiB per rank") != NULL,
          "message: %s", ntk_error_message());
    printf("refusal: %s\n", ntk_error_message());
    ntk_error_clear();
    CHECK(plan_check_fits(&plan, plan.bytes_peak) == NTK_OK, "exact fit refused");

    /* A block larger than the matrix is clamped to it (issue 7, defects 2
     * and 3): N = 64 with block 65536 plans (and runs) like block 64. */
    small_job(&job, 1);
    ntk_plan clamped;
    job.grid.block = 65536;
    CHECK(plan_make(plan_config_of(&job), 64, 10, 1, &clamped) == NTK_OK, "plan_make failed");
    job.grid.block = 64;
    CHECK(plan_make(plan_config_of(&job), 64, 10, 1, &plan) == NTK_OK, "plan_make failed");
    CHECK(clamped.block == 64, "block 65536 for M = 64 planned as %d", clamped.block);
    CHECK(clamped.bytes_peak == plan.bytes_peak, "clamped peak %.0f, block-64 peak %.0f",
          clamped.bytes_peak, plan.bytes_peak);
    CHECK(clamped.bytes_peak < 200.0 * 1048576.0, "N = 64 needs %.0f bytes", clamped.bytes_peak);

    /* Top 10 of M = 256 with vectors, block 64: pdsyevr computes a block of
     * pairs (64) so its inner PDORMTR workspace suffices; the eigenvector
     * block is 256 x 64 on one rank. */
    small_job(&job, 1);
    job.spectrum.top = 10;
    job.spectrum.solver = NTK_SOLVER_PDSYEVR;
    CHECK(plan_make(plan_config_of(&job), 256, 10, 1, &plan) == NTK_OK, "plan_make failed");
    CHECK(plan.solver == NTK_SOLVER_PDSYEVR && plan.eigenpairs == 10, "top-10: solver %d, %lld",
          (int)plan.solver, (long long)plan.eigenpairs);
    CHECK(plan.bytes_vectors == 256.0 * 64.0 * 8.0, "top-10 vectors %.0f bytes", plan.bytes_vectors);
    /* the exact residual of 10 pairs and the orthogonality probes */
    CHECK(fabs(plan.flops_check - (2.0 * 256.0 * 256.0 * 10.0 +
                                   4.0 * 256.0 * 10.0 * SPECTRUM_CHECK_PROBES)) < 1.0,
          "check flops %.6g",
          plan.flops_check);

    /* Sizes no run can have are refused by name, not wrapped. */
    small_job(&job, 1);
    job.grid.rows = job.grid.cols = 65536;
    CHECK(plan_make(plan_config_of(&job), 100, 10, 4, &plan) == NTK_ERR_JOB &&
              strstr(ntk_error_message(), "needs 4294967296 ranks") != NULL,
          "grid.shape [65536, 65536]: %s", ntk_error_message());
    ntk_error_clear();
    small_job(&job, 1);
    job.model.width[0] = (int64_t)1 << 40;
    CHECK(plan_make(plan_config_of(&job), 100, (int64_t)1 << 40, 4, &plan) == NTK_ERR_JOB &&
              strstr(ntk_error_message(), "model.layers") != NULL,
          "2^80 parameters: %s", ntk_error_message());
    ntk_error_clear();
    small_job(&job, 1 << 20);
    job.kernel.outputs = NTK_OUTPUTS_FULL;
    CHECK(plan_make(plan_config_of(&job), 1 << 12, 10, 4, &plan) == NTK_ERR_MEMORY &&
              strstr(ntk_error_message(), "32-bit index limit") != NULL,
          "M = 2^32: %s", ntk_error_message());
    ntk_error_clear();

    /* The scheduler's limit: SLURM_MEM_PER_CPU in megabytes. */
    setenv("SLURM_MEM_PER_CPU", "2048", 1);
    double bytes = 0.0;
    CHECK(plan_memory_per_rank(MPI_COMM_WORLD, &bytes) == NTK_OK && bytes == 2048.0 * 1048576.0,
          "SLURM_MEM_PER_CPU=2048 gave %.0f bytes", bytes);
    unsetenv("SLURM_MEM_PER_CPU");
    setenv("SLURM_MEM_PER_NODE", "4096", 1);
    CHECK(plan_memory_per_rank(MPI_COMM_WORLD, &bytes) == NTK_OK && bytes == 4096.0 * 1048576.0,
          "SLURM_MEM_PER_NODE=4096 on one rank gave %.0f bytes", bytes);
    unsetenv("SLURM_MEM_PER_NODE");
    CHECK(plan_memory_per_rank(MPI_COMM_WORLD, &bytes) == NTK_OK && bytes > 0.0,
          "MemAvailable gave %.0f bytes", bytes);
    /* A value that is no size (nan, inf) means "no limit given", not a NaN limit. */
    double available = bytes;
    setenv("SLURM_MEM_PER_CPU", "nan", 1);
    CHECK(plan_memory_per_rank(MPI_COMM_WORLD, &bytes) == NTK_OK && isfinite(bytes) && bytes > 0.0,
          "SLURM_MEM_PER_CPU=nan gave %g bytes (MemAvailable: %.0f)", bytes, available);
    setenv("SLURM_MEM_PER_CPU", "inf", 1);
    CHECK(plan_memory_per_rank(MPI_COMM_WORLD, &bytes) == NTK_OK && isfinite(bytes) && bytes > 0.0,
          "SLURM_MEM_PER_CPU=inf gave %g bytes", bytes);
    unsetenv("SLURM_MEM_PER_CPU");

    MPI_Finalize();
    if (failures == 0)
        printf("ok: plan unit checks\n");
    return failures == 0 ? 0 : 1;
}
