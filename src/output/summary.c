/* summary.yaml: what ran and what came out, for people and for scripts
 * (yaml.safe_load). Written last by rank 0, so its presence marks a complete
 * run. Layout (every key always present; null where not applicable):
 *
 *   ntkgram_version: "0.1.0"
 *   job: {the effective job, as job_echo_yaml writes it}
 *   sizes: {n_inputs, input_dim, outputs, matrix_rows, parameters}
 *   parallel: {ranks, grid: [rows, cols], block, mpi_pml, solve_grid,
 *              solve_block, redistribute_seconds}
 *   blas: {library, kernels, kernels_simd, cpu_simd, suggested_coretype}
 *         (rank 0's: OpenBLAS's kernel choice, core/blas_kernels.h)
 *   kernel: {method, flops_total, jacobian_seconds, products_seconds,
 *            products_gflops_per_rank, jacobian_cpu_seconds,
 *            products_cpu_seconds, products_gflops_per_cpu_second,
 *            analytic_distance}: the assembly's Jacobian part and J J^T
 *            products (ntk_kernel_stats), seconds of the slowest rank, the
 *            products' rate over the ranks' summed seconds; the same parts
 *            in CPU seconds summed over ranks, and the products' flops per
 *            CPU second (null for the analytic kernel)
 *   precision: {kernel, unit_roundoff, accumulation_length, theta_relative_error_bound,
 *               theta_relative_error_typical, theta_frobenius, solver_error,
 *               eigenvalue_error_bound,
 *               eigenvalue_bound_factor, eigenvalues, eigenvalues_above_bound,
 *               fixed_sgemm_kernel (avx2 or portable: core/fixed_sgemm.h)}
 *              (only when kernel.precision is not float64, so float64 summaries
 *              stay as they were; docs/precision.md)
 *   spectrum: {solver, eigenpairs, vectors, lambda_max, lambda_min, trace,
 *              max_relative_residual (NaN without eigenvectors),
 *              eigenpair_check (exact / probes / none), eigenpair_check_probes,
 *              max_orthogonality_error (NaN without the check),
 *              condition_number, effective_rank, largest_stable_learning_rate,
 *              matrix_free: {features, converged, products (the check's included),
 *              restarts, basis_size, tolerance, pair_residuals_from
 *              (products / ritz_estimates), unresolved_eigenvalue_sum,
 *              pair_residuals} (matrix_free only)}
 *   dynamics: {learning_rate, residual_norm, unresolved_energy,
 *              predicted_loss: [{step, loss}, ...]}
 *   training: {final_loss, kernel_change}
 *   predict: {n_test, modes_used, cross_flops, final: {step, train_loss,
 *             test_loss, test_accuracy}} (null without data.test_inputs)
 *   diagnostics: {effective_rank_entropy, stable_rank, condition_number,
 *                 modes_90, modes_99, alignment, centered_alignment,
 *                 learning_curve (its file), layers (layers.csv or null),
 *                 kernel_distance, relative_frobenius_distance
 *                 (diagnostics.compare_weights)} (null without a diagnostics section)
 *   timings: {phases: {"name": seconds, ...}, wall_seconds}
 *
 * Floats are written so that YAML 1.1 readers (PyYAML) see floats: always a
 * '.' in the mantissa, .inf/.nan for the non-finite ones. */
#include "output/output.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/blas_kernels.h"
#include "core/fixed_sgemm.h"
#include "core/mpi_startup.h"
#include "core/yaml_number.h"
#include "output/file_names.h"
#include "version.h"

/* The shortest form that reads back to the same double, as a YAML float. */
static void yaml_double(FILE *out, double value)
{
    ntk_yaml_write_double(out, value, 0);
}

/* A number, or null when unknown (NaN). */
static void key_double_or_null(FILE *out, const char *indent, const char *key, double value)
{
    fprintf(out, "%s%s: ", indent, key);
    if (isnan(value))
        fputs("null", out);
    else
        yaml_double(out, value);
    fputc('\n', out);
}

/* The error statement of kernel.precision (kernel.h, ntk_precision_error). */
static void write_precision(FILE *out, const ntk_precision_error *error)
{
    if (error == NULL)
        return;
    fprintf(out, "precision:\n  kernel: %s\n",
            ntk_choice_name(&kernel_precision_names, (int)error->precision));
    key_double_or_null(out, "  ", "unit_roundoff", error->unit_roundoff);
    fprintf(out, "  accumulation_length: %lld\n", (long long)error->accumulation_length);
    key_double_or_null(out, "  ", "theta_relative_error_bound", error->theta_relative_bound);
    key_double_or_null(out, "  ", "theta_relative_error_typical", error->theta_relative_typical);
    key_double_or_null(out, "  ", "theta_frobenius", error->theta_frobenius);
    key_double_or_null(out, "  ", "solver_error", error->solver_error);
    key_double_or_null(out, "  ", "eigenvalue_error_bound", error->eigenvalue_bound);
    key_double_or_null(out, "  ", "eigenvalue_bound_factor", error->bound_factor);
    fprintf(out, "  eigenvalues: %lld\n  eigenvalues_above_bound: %lld\n",
            (long long)error->eigenvalues, (long long)error->eigenvalues_above);
    /* the Grams' float32 products, rank 0's kernel (each kernel gives the
     * same bits: only the speed would differ on another CPU) */
    fprintf(out, "  fixed_sgemm_kernel: %s\n", ntk_fixed_sgemm_kernel());
}

static void yaml_string(FILE *out, const char *text);

static void write_predict(FILE *out, const ntk_predict_facts *predict)
{
    if (predict == NULL) {
        fputs("predict: null\n", out);
        return;
    }
    fprintf(out, "predict:\n  n_test: %lld\n", (long long)predict->n_test);
    if (predict->have && predict->modes_used >= 0) {
        fprintf(out, "  modes_used: %lld\n", (long long)predict->modes_used);
    } else {
        fputs("  modes_used: null\n", out);
    }
    key_double_or_null(out, "  ", "cross_flops", predict->cross_flops >= 0.0 ? predict->cross_flops : NAN);
    if (!predict->have) {
        fputs("  final: null\n", out);
        return;
    }
    if (predict->solver != NULL) {
        fputs("  solver:\n", out);
        fprintf(out, "    name: %s\n", predict->solver);
        fputs("    why: ", out);
        yaml_string(out, predict->solver_why);
        fputs("\n    detail: ", out);
        yaml_string(out, predict->solver_detail);
        fputc('\n', out);
        key_double_or_null(out, "    ", "seconds", predict->solve_seconds);
        key_double_or_null(out, "    ", "flops", predict->solve_flops);
        key_double_or_null(out, "    ", "residual", predict->solve_residual);
        key_double_or_null(out, "    ", "jitter", predict->jitter);
        fprintf(out, "    iterations: %lld\n", (long long)predict->iterations);
        key_double_or_null(out, "    ", "relative_residual", predict->relative_residual);
        fprintf(out, "    preconditioner_rank: %lld\n", (long long)predict->preconditioner_rank);
        key_double_or_null(out, "    ", "iteration_seconds", predict->iteration_seconds);
        key_double_or_null(out, "    ", "product_seconds", predict->product_seconds);
        fprintf(out, "  f0: %s\n", predict->f0 != NULL ? predict->f0 : "network");
    }
    fputs("  final:\n", out);
    key_double_or_null(out, "    ", "step", predict->final_step);
    key_double_or_null(out, "    ", "train_loss", predict->final_train_loss);
    key_double_or_null(out, "    ", "test_loss", predict->final_test_loss);
    key_double_or_null(out, "    ", "test_accuracy", predict->final_test_accuracy);
}

/* A double-quoted YAML string (escapes quotes, backslashes and controls). */
static void yaml_string(FILE *out, const char *text)
{
    fputc('"', out);
    for (const unsigned char *c = (const unsigned char *)text; *c; ++c) {
        if (*c == '"' || *c == '\\')
            fprintf(out, "\\%c", *c);
        else if (*c < 0x20)
            fprintf(out, "\\x%02x", *c);
        else
            fputc(*c, out);
    }
    fputc('"', out);
}

static void key_double(FILE *out, const char *indent, const char *key, double value)
{
    fprintf(out, "%s%s: ", indent, key);
    yaml_double(out, value);
    fputc('\n', out);
}

static void write_spectrum(FILE *out, const ntk_run_facts *facts)
{
    const ntk_spectrum *spectrum = facts->spectrum;
    const ntk_modes *modes = facts->modes;
    if (spectrum == NULL || modes == NULL) {
        fputs("spectrum:\n  solver: none\n", out);
        return;
    }
    fputs("spectrum:\n  solver: ", out);
    yaml_string(out, spectrum->solver ? spectrum->solver : "");
    fputs("\n  solver_detail: ", out);
    yaml_string(out, spectrum->solver_detail);
    fprintf(out, "\n  eigenpairs: %lld\n  vectors: %s\n", (long long)spectrum->n_pairs,
            spectrum->have_vectors ? "true" : "false");
    /* what the solver computed, of which the two above were kept (a
     * request for less than a solver computes is honoured by dropping) */
    fprintf(out, "  computed_eigenvalues: %lld\n  computed_eigenvectors: %lld\n",
            (long long)spectrum->computed_values, (long long)spectrum->computed_vectors);
    key_double(out, "  ", "lambda_max", modes->lambda_max);
    key_double(out, "  ", "lambda_min", modes->lambda_min);
    key_double(out, "  ", "trace", spectrum->diagonal_sum);
    key_double(out, "  ", "max_relative_residual", spectrum->max_relative_residual);
    /* which check set it: exact (each pair), probes (eigenpair_check_probes
     * random mixtures), none; matrix_free sets it as the dense path does */
    const char *check = spectrum->check.method != NULL ? spectrum->check.method : "none";
    fprintf(out, "  eigenpair_check: %s\n  eigenpair_check_probes: %d\n", check,
            spectrum->check.probes);
    key_double(out, "  ", "max_orthogonality_error",
               spectrum->check.method != NULL ? spectrum->check.orthogonality : NAN);
    /* values-only solves: the eigenvalues against Theta's trace, Frobenius
     * norm and Rayleigh quotients (spectrum/verify_values.c) */
    fprintf(out, "  eigenvalue_check: %s\n",
            spectrum->values_check != NULL ? spectrum->values_check : "none");
    key_double(out, "  ", "eigenvalue_check_error",
               spectrum->values_check != NULL ? spectrum->values_check_error : NAN);
    key_double(out, "  ", "condition_number", modes->condition_number);
    key_double(out, "  ", "effective_rank", modes->effective_rank);
    key_double(out, "  ", "largest_stable_learning_rate", modes->largest_stable_learning_rate);
    if (spectrum->matrix_free) {
        /* the top spectrum.top only: what the solve did and how well */
        fprintf(out, "  matrix_free:\n    features: %s\n    converged: %lld\n    products: %lld\n"
                "    restarts: %lld\n    basis_size: %lld\n",
                spectrum->features, (long long)spectrum->converged, (long long)spectrum->products,
                (long long)spectrum->restarts, (long long)spectrum->basis_size);
        key_double(out, "    ", "tolerance", spectrum->tolerance);
        fprintf(out, "    pair_residuals_from: %s\n",
                spectrum->pair_residuals_from != NULL ? spectrum->pair_residuals_from : "none");
        double sum = 0.0;
        for (int64_t i = 0; i < spectrum->n_pairs; ++i)
            sum += spectrum->values[i];
        /* trace - sum of the top k: the sum of every eigenvalue not computed */
        key_double(out, "    ", "unresolved_eigenvalue_sum", spectrum->diagonal_sum - sum);
        fputs("    pair_residuals: [", out);
        for (int64_t i = 0; i < spectrum->n_pairs; ++i) {
            if (i > 0)
                fputs(", ", out);
            yaml_double(out, spectrum->pair_residual[i]);
        }
        fputs("]\n", out);
    }
}

static void write_dynamics(FILE *out, const ntk_run_facts *facts)
{
    const ntk_modes *modes = facts->modes;
    fputs("dynamics:\n", out);
    key_double(out, "  ", "learning_rate", facts->learning_rate);
    if (modes == NULL || !modes->have_targets) {
        if (modes != NULL && modes->residual_norm2 > 0.0)
            key_double(out, "  ", "residual_norm", sqrt(modes->residual_norm2));
        else
            fputs("  residual_norm: null\n", out);
        fputs("  unresolved_energy: null\n  predicted_loss: []\n", out);
        return;
    }
    key_double(out, "  ", "residual_norm", sqrt(modes->residual_norm2));
    key_double(out, "  ", "unresolved_energy", modes->unresolved_energy);
    fputs("  predicted_loss:\n", out);
    for (int j = 0; j < modes->n_steps; ++j) {
        fprintf(out, "    - {step: %lld, loss: ", (long long)modes->steps[j]);
        yaml_double(out, modes->predicted_loss[j]);
        if (modes->have_loss_lower_bound) {
            fputs(", loss_lower_bound: ", out);
            yaml_double(out, modes->predicted_loss_lower[j]);
        }
        fputs("}\n", out);
    }
}

/* A count, or null when it is unknown (< 0). */
static void key_count_or_null(FILE *out, const char *indent, const char *key, int64_t value)
{
    if (value < 0)
        fprintf(out, "%s%s: null\n", indent, key);
    else
        fprintf(out, "%s%s: %lld\n", indent, key, (long long)value);
}

/* docs/diagnostics.md defines each number. */
static void write_diagnostics(FILE *out, const ntk_diagnostics_facts *diagnostics)
{
    if (diagnostics == NULL || !diagnostics->enabled) {
        fputs("diagnostics: null\n", out);
        return;
    }
    fputs("diagnostics:\n", out);
    const ntk_spectral_statistics *statistics = &diagnostics->statistics;
    const int have = diagnostics->have_statistics;
    key_double_or_null(out, "  ", "effective_rank_entropy",
                       have ? statistics->effective_rank_entropy : NAN);
    key_double_or_null(out, "  ", "stable_rank", have ? statistics->stable_rank : NAN);
    key_double_or_null(out, "  ", "condition_number", have ? statistics->condition_number : NAN);
    key_count_or_null(out, "  ", "modes_90", have ? statistics->modes_90 : -1);
    key_count_or_null(out, "  ", "modes_99", have ? statistics->modes_99 : -1);
    const ntk_alignment *alignment = &diagnostics->alignment;
    key_double_or_null(out, "  ", "alignment",
                       diagnostics->have_alignment ? alignment->alignment : NAN);
    key_double_or_null(out, "  ", "centered_alignment",
                       diagnostics->have_alignment ? alignment->centered_alignment : NAN);
    fprintf(out, "  learning_curve: %s\n",
            diagnostics->have_curve ? OUTPUT_FILE_LEARNING_CURVE : "null");
    fprintf(out, "  layers: %s\n", diagnostics->have_layers ? OUTPUT_FILE_LAYERS : "null");
    key_double_or_null(out, "  ", "kernel_distance",
                       diagnostics->have_distance ? diagnostics->distance.kernel_distance : NAN);
    key_double_or_null(out, "  ", "relative_frobenius_distance",
                       diagnostics->have_distance ? diagnostics->distance.relative_frobenius
                                                  : NAN);
}

static void write_timings(FILE *out, const ntk_run_facts *facts)
{
    fputs("timings:\n", out);
    if (facts->phases == NULL || facts->phases->count == 0) {
        fputs("  phases: {}\n", out);
    } else {
        fputs("  phases:\n", out);
        for (int p = 0; p < facts->phases->count; ++p) {
            fputs("    ", out);
            yaml_string(out, facts->phases->name[p]);
            fputs(": ", out);
            yaml_double(out, facts->phases->seconds[p]);
            fputc('\n', out);
        }
    }
    key_double(out, "  ", "wall_seconds", facts->wall_seconds);
}

ntk_status output_write_summary(const char *dir, const ntk_run_facts *facts)
{
    char path[NTK_PATH_MAX];
    FILE *out = NULL;
    NTK_TRY(output_file_open(dir, OUTPUT_FILE_SUMMARY, path, &out));

    fputs("# ntkgram run summary\nntkgram_version: ", out);
    yaml_string(out, NTK_VERSION);
    fputs("\njob:\n", out);
    fputs(facts->job_echo, out);

    fprintf(out,
            "sizes:\n  n_inputs: %lld\n  input_dim: %lld\n  outputs: %lld\n"
            "  matrix_rows: %lld\n  parameters: %lld\n",
            (long long)facts->n_inputs, (long long)facts->input_dim, (long long)facts->k,
            (long long)facts->m_rows, (long long)facts->n_params);
    fprintf(out, "parallel:\n  ranks: %d\n", facts->ranks);
    if (facts->grid != NULL)
        fprintf(out, "  grid: [%d, %d]\n  block: %d\n", facts->grid->rows, facts->grid->cols,
                facts->grid->block);
    else
        fputs("  grid: null\n  block: null\n", out);
    /* Open MPI's messaging layer when ntkgram chose it (one node), else
     * null: left to Open MPI and the environment. */
    const char *pml = mpi_startup_chosen_pml();
    fprintf(out, "  mpi_pml: %s\n", pml != NULL ? pml : "null");
    /* The eigensolve's layout (spectrum.grid, spectrum.block): the
     * assembly's unless the job moved Theta; null without a block-cyclic
     * solve (matrix_free, none). */
    const ntk_spectrum *solved = facts->spectrum;
    if (solved != NULL && solved->solve_rows > 0) {
        fprintf(out, "  solve_grid: [%d, %d]\n  solve_block: %d\n", solved->solve_rows,
                solved->solve_cols, solved->solve_block);
        key_double(out, "  ", "redistribute_seconds", solved->redistribute_seconds);
    } else {
        fputs("  solve_grid: null\n  solve_block: null\n  redistribute_seconds: null\n", out);
    }

    /* The BLAS kernels behind every timing in this file (rank 0's). */
    ntk_blas_kernels blas;
    ntk_blas_kernels_detect(&blas);
    fputs("blas:\n  library: ", out);
    yaml_string(out, blas.library);
    fputs("\n  kernels: ", out);
    yaml_string(out, blas.kernels);
    fprintf(out, "\n  kernels_simd: %s\n  cpu_simd: %s\n  suggested_coretype: ", blas.kernels_simd,
            blas.cpu_simd);
    if (blas.suggested != NULL)
        yaml_string(out, blas.suggested);
    else
        fputs("null", out);
    fputc('\n', out);

    fputs("kernel:\n  method: ", out);
    if (facts->kernel != NULL && facts->kernel->method != NULL) {
        yaml_string(out, facts->kernel->method);
        fputc('\n', out);
        key_double(out, "  ", "flops_total", facts->kernel->flops_total);
    } else {
        fputs("null\n  flops_total: null\n", out);
    }
    const ntk_kernel_stats *stats = facts->kernel;
    if (stats != NULL && stats->timed) {
        key_double(out, "  ", "jacobian_seconds", stats->jacobian_seconds_max);
        key_double(out, "  ", "products_seconds", stats->products_seconds_max);
        key_double(out, "  ", "products_gflops_per_rank",
                   stats->products_seconds_sum > 0.0
                       ? stats->flops_total / stats->products_seconds_sum * 1e-9 : 0.0);
        key_double(out, "  ", "jacobian_cpu_seconds", stats->jacobian_cpu_seconds);
        key_double(out, "  ", "products_cpu_seconds", stats->products_cpu_seconds);
        key_double(out, "  ", "products_gflops_per_cpu_second",
                   stats->products_cpu_seconds > 0.0
                       ? stats->flops_total / stats->products_cpu_seconds * 1e-9 : 0.0);
    } else {
        fputs("  jacobian_seconds: null\n  products_seconds: null\n"
              "  products_gflops_per_rank: null\n  jacobian_cpu_seconds: null\n"
              "  products_cpu_seconds: null\n  products_gflops_per_cpu_second: null\n", out);
    }
    if (facts->analytic_distance >= 0.0)
        key_double(out, "  ", "analytic_distance", facts->analytic_distance);
    else
        fputs("  analytic_distance: null\n", out);

    write_precision(out, facts->precision);
    write_spectrum(out, facts);
    write_dynamics(out, facts);

    fputs("training:\n", out);
    if (facts->training_final_loss >= 0.0)
        key_double(out, "  ", "final_loss", facts->training_final_loss);
    else
        fputs("  final_loss: null\n", out);
    if (facts->kernel_change >= 0.0)
        key_double(out, "  ", "kernel_change", facts->kernel_change);
    else
        fputs("  kernel_change: null\n", out);

    write_predict(out, facts->predict);
    write_diagnostics(out, facts->diagnostics);
    write_timings(out, facts);
    NTK_TRY(partial_file_commit(path, out));
    return NTK_OK;
}
