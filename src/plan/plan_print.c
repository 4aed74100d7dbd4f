/* Printing a plan: a table for people, YAML for scripts (slurm/submit reads
 * peak_bytes_per_rank and seconds_estimate). */
#include "plan/plan.h"
#include "core/quoted.h"

#include <math.h>
#include <string.h>

#include "core/blas_kernels.h"
#include "core/yaml_number.h"

static void plan_format_bytes(double bytes, char *text, size_t size)
{
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int unit = 0;
    while (bytes >= 1024.0 && unit < 5) {
        bytes /= 1024.0;
        ++unit;
    }
    snprintf(text, size, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
}

static void plan_format_flops(double flops, char *text, size_t size)
{
    static const char *units[] = {"FLOP", "kFLOP", "MFLOP", "GFLOP", "TFLOP", "PFLOP", "EFLOP"};
    int unit = 0;
    while (flops >= 1000.0 && unit < 6) {
        flops /= 1000.0;
        ++unit;
    }
    snprintf(text, size, "%.3g %s", flops, units[unit]);
}

static void plan_format_seconds(double seconds, char *text, size_t size)
{
    if (seconds < 120.0)
        snprintf(text, size, "%.0f s", seconds);
    else if (seconds < 2.0 * 3600.0)
        snprintf(text, size, "%.1f min", seconds / 60.0);
    else
        snprintf(text, size, "%.1f h", seconds / 3600.0);
}

static void plan_print_bytes_row(FILE *out, const char *name, double bytes, const char *note)
{
    char text[32];
    plan_format_bytes(bytes, text, sizeof text);
    fprintf(out, "    %-18s %12s%s%s\n", name, text, note[0] ? "  " : "", note);
}

/* kernel.precision float32 (Theta, eigenvectors and solver in floats). */
static int plan_is_float32(const ntk_plan *plan)
{
    return plan->config.path != NULL && plan->config.kernel->precision == NTK_PRECISION_FLOAT32;
}

/* The solver's name as the run logs it: pssyevd / pssyevr in float32. */
static const char *plan_solver_text(const ntk_plan *plan)
{
    if (plan_is_float32(plan) && plan->solver == NTK_SOLVER_PDSYEVD)
        return "pssyevd";
    if (plan_is_float32(plan) && plan->solver == NTK_SOLVER_PDSYEVR)
        return "pssyevr";
    return spectrum_solver_name(plan->solver);
}

static void plan_print_text(const ntk_plan *plan, FILE *out)
{
    const int full = plan->config.path != NULL && plan->config.kernel->outputs == NTK_OUTPUTS_FULL;
    char text[64];
    fprintf(out, "plan for %s on %d rank%s\n",
            plan->config.path != NULL ? plan->config.path : "the job", plan->ranks,
            plan->ranks == 1 ? "" : "s");
    fprintf(out, "  data      N = %lld inputs of dimension %lld, k = %lld outputs\n",
            (long long)plan->n_inputs, (long long)plan->input_dim, (long long)plan->k);
    fprintf(out, "  theta     M = %lld (%s), %lld x %lld%s\n", (long long)plan->m_rows,
            full ? "full: N k" : "trace: N", (long long)plan->m_rows, (long long)plan->m_rows,
            plan_is_float32(plan) ? ", float32 (kernel.precision)" : "");
    fprintf(out, "  model     %lld parameters\n", (long long)plan->n_params);
    if (plan->solver == NTK_SOLVER_MATRIX_FREE)
        fprintf(out, "  kernel    never assembled (products with the Jacobian)\n");
    else
        fprintf(out, "  kernel    %s%s\n", plan->method,
                plan->lower_only ? ", lower triangle only"
                                 : ", lower triangle mirrored to the whole matrix");
    for (int i = 0; i < plan->n_analytic_layers; ++i)
        if (plan->analytic_layers[i].key[0] != '\0')
            fprintf(out, "  analytic  %s (%s): %s of %lld input position%s, %.3g flops per pair "
                    "of inputs\n", plan->analytic_layers[i].key, plan->analytic_layers[i].type,
                    plan->analytic_layers[i].form, (long long)plan->analytic_layers[i].positions,
                    plan->analytic_layers[i].positions == 1 ? "" : "s",
                    plan->analytic_layers[i].flops);
        else
        fprintf(out, "  analytic  model.layers[%d] %s: %s of %lld input position%s, %.3g flops "
                "per pair of inputs\n", i, plan->analytic_layers[i].type,
                plan->analytic_layers[i].form, (long long)plan->analytic_layers[i].positions,
                plan->analytic_layers[i].positions == 1 ? "" : "s",
                plan->analytic_layers[i].flops);
    if (plan->n_analytic_layers > 0)
        fprintf(out, "            %.3g flops per pair of inputs (NTK and NNGP together), "
                "about %.3g s per pair on one rank; longest assembly step %.3g s\n",
                plan->analytic_pair_flops, plan->analytic_entry_seconds,
                plan->analytic_step_seconds);
    for (int f = 0; f < plan->n_forms; ++f) {
        /* only conv has a choice of forms: the others name the one they have;
         * a layer inside a block is named by its nested path */
        char where[sizeof plan->forms[f].key + 32];
        if (plan->forms[f].key[0] != '\0')
            snprintf(where, sizeof where, "%s", plan->forms[f].key);
        else
            snprintf(where, sizeof where, "model.layers[%d]", plan->forms[f].layer);
        const char *type = plan->forms[f].type ? plan->forms[f].type : "conv";
        if (plan->forms[f].pairwise_flops > 0)
            fprintf(out, "  %-9s %s: %s (flops per Theta entry: Jacobian block %.3g, "
                    "pairwise %.3g)\n", type, where, plan->forms[f].form,
                    plan->forms[f].block_flops, plan->forms[f].pairwise_flops);
        else
            fprintf(out, "  %-9s %s: %s (flops per Theta entry: %.3g)\n", type, where,
                    plan->forms[f].form, plan->forms[f].block_flops);
        const int64_t rows = plan->forms[f].block_rows, per = plan->forms[f].chunk_rows;
        const int64_t depth = plan->forms[f].pair_depth, per_depth = plan->forms[f].chunk_depth;
        const int64_t channels = plan->forms[f].pair_channels;
        if (per > 0 && per_depth > 0)
            fprintf(out, "            in %lld chunk passes of %lld of its %lld output channels x "
                    "%lld of its %lld patch columns (kernel.chunk_mib %.0f)\n",
                    (long long)(((channels + per - 1) / per) * ((depth + per_depth - 1) / per_depth)),
                    (long long)per, (long long)channels, (long long)per_depth, (long long)depth,
                    plan->chunk_budget_bytes / 1048576.0);
        else if (per > 0)
            fprintf(out, "            in %lld chunk passes of %lld of its %lld block rows "
                    "(kernel.chunk_mib %.0f)\n", (long long)((rows + per - 1) / per),
                    (long long)per, (long long)rows, plan->chunk_budget_bytes / 1048576.0);
    }
    fprintf(out, "  grid      %d x %d, block %d\n", plan->grid_rows, plan->grid_cols, plan->block);
    if (plan->solver == NTK_SOLVER_NONE)
        fprintf(out, "  solver    none\n");
    else
        fprintf(out, "  solver    %s, %lld eigenpairs (%s)\n", plan_solver_text(plan),
                (long long)plan->eigenpairs, plan->solver_reason ? plan->solver_reason : "");
    if (plan->solve_rows > 0 && plan->solver != NTK_SOLVER_NONE)
        fprintf(out, "  solve on  %d x %d, block %d (%s)\n", plan->solve_rows, plan->solve_cols,
                plan->solve_block,
                plan->solve_moved ? "spectrum.grid, spectrum.block: Theta redistributed, "
                                    "eigenvectors brought back"
                                  : "the assembly's layout");
    if (plan->solver == NTK_SOLVER_MATRIX_FREE)
        fprintf(out, "  matrix-free  features %s, Lanczos basis %lld, about %.0f products of "
                "%.3g GFLOP each\n",
                plan->matrix_free_stored ? "stored" : "recomputed per product",
                (long long)plan->basis_size, plan->products_estimate, plan->product_flops * 1e-9);
    if (plan->predict_matrix_free) {
        fprintf(out, "  predict   cg on J (J^T V) products: features stored, at most %.0f "
                "product columns of %.3g GFLOP each (predict.max_iterations + the check)\n",
                plan->products_estimate, plan->product_flops * 1e-9);
        if (plan->predict_operator_why[0] != '\0')
            fprintf(out, "            %s\n", plan->predict_operator_why);
    }
    ntk_blas_kernels blas;
    ntk_blas_kernels_detect(&blas);
    char described[192];
    ntk_blas_kernels_describe(&blas, described, (int)sizeof described);
    fprintf(out, "  blas      %s (this machine's)\n", described);
    if (blas.suggested != NULL)
        fprintf(out, "            3-5x slower than the CPU allows: OPENBLAS_CORETYPE=%s selects "
                "faster kernels (docs/performance.md, \"BLAS kernels\")\n", blas.suggested);
    fprintf(out, "\n  memory per rank (the rank that holds the most)\n");
    plan_print_bytes_row(out, "baseline", plan->bytes_baseline, "(MPI, BLAS, ScaLAPACK libraries)");
    plan_print_bytes_row(out, "inputs", plan->bytes_inputs, "");
    plan_print_bytes_row(out, "model", plan->bytes_model, "");
    char features_note[128] = "(during assembly)";
    if (plan->chunk_budget_bytes > 0.0 && plan->bytes_features > plan->chunk_budget_bytes)
        snprintf(features_note, sizeof features_note,
                 "(during assembly; above kernel.chunk_mib %.0f: what cannot be chunked needs more)",
                 plan->chunk_budget_bytes / 1048576.0);
    plan_print_bytes_row(out, "features", plan->bytes_features, features_note);
    if (plan->chunk_passes > 0) {
        plan_print_bytes_row(out, "  whole layers", plan->bytes_features_resident,
                             "(packed vectors, then tiles)");
        plan_print_bytes_row(out, "  chunk passes", plan->bytes_features_chunks,
                             "(one pass's block rows, then tiles)");
    }
    plan_print_bytes_row(out, "theta", plan->bytes_theta, "");
    if (plan->bytes_theta_copy > 0.0)
        plan_print_bytes_row(out, "theta copy", plan->bytes_theta_copy,
                             "(training.kernel_after, training.kernel_every)");
    if (plan->bytes_extra_kernels > 0.0)
        plan_print_bytes_row(out, "extra kernels", plan->bytes_extra_kernels,
                             plan->extra_kernels_reason);
    if (plan->bytes_diagnostics > 0.0)
        plan_print_bytes_row(out, "diagnostics", plan->bytes_diagnostics,
                             plan->diagnostics_reason);
    plan_print_bytes_row(out, "eigenvectors", plan->bytes_vectors, "");
    plan_print_bytes_row(out, "solver workspace", plan->bytes_solver, "");
    if (plan->solve_moved) {
        plan_print_bytes_row(out, "theta, solve grid", plan->bytes_theta_solve, "");
        plan_print_bytes_row(out, "redistribution", plan->bytes_redistribute,
                             "(both copies and PDGEMR2D buffers, while moving)");
    }
    plan_print_bytes_row(out, "outputs", plan->bytes_output, "");
    plan_print_bytes_row(out, "assembly phase", plan->bytes_phase_assembly, "");
    if (plan->bytes_phase_diagnostics > 0.0)
        plan_print_bytes_row(out, "diagnostics phase", plan->bytes_phase_diagnostics,
                             "(before the eigensolve, next to Theta)");
    if (plan->solver != NTK_SOLVER_NONE) {
        plan_print_bytes_row(out, "eigensolve phase", plan->bytes_phase_solve, "");
        plan_print_bytes_row(out, "output phase", plan->bytes_phase_output, "");
    }
    if (plan->n_test > 0) {
        plan_print_bytes_row(out, "cross kernel", plan->bytes_cross, "(test x train)");
        if (plan->bytes_predict > 0.0)
            plan_print_bytes_row(out, "predictions", plan->bytes_predict, "");
        if (plan->bytes_linear > 0.0) {
            char what[96];
            snprintf(what, sizeof what, "(predict.solver %s, in predictions)",
                     plan->linear_solver);
            plan_print_bytes_row(out, "  linear solve", plan->bytes_linear, what);
        }
        if (plan->bytes_linear_theta_copy > 0.0)
            plan_print_bytes_row(out, "  theta copy", plan->bytes_linear_theta_copy,
                                 "(kept through the eigensolve for the linear solve)");
        plan_print_bytes_row(out, "predict phase", plan->bytes_phase_predict, "");
    }
    char note[64];
    snprintf(note, sizeof note, "(%s)", plan->peak_phase);
    plan_print_bytes_row(out, "peak", plan->bytes_peak, note);

    fprintf(out, "\n  floating-point work (all ranks)\n");
    plan_format_flops(plan->flops_features, text, sizeof text);
    fprintf(out, "    %-18s %12s\n", "features", text);
    if (plan->chunk_passes > 0) {
        plan_format_flops(plan->flops_chunk_features, text, sizeof text);
        fprintf(out, "    %-18s %12s  (forward and partial backward again, %lld passes)\n",
                "  of which chunks", text, (long long)plan->chunk_passes);
    }
    plan_format_flops(plan->flops_assembly, text, sizeof text);
    fprintf(out, "    %-18s %12s\n", "assembly", text);
    plan_format_flops(plan->flops_solver, text, sizeof text);
    fprintf(out, "    %-18s %12s\n", plan->predict_matrix_free ? "cg products" : "eigensolve",
            text);
    plan_format_flops(plan->flops_check, text, sizeof text);
    fprintf(out, "    %-18s %12s\n", plan->predict_matrix_free ? "cg check" : "eigenpair check",
            text);
    if (plan->n_test > 0) {
        plan_format_flops(plan->flops_cross, text, sizeof text);
        fprintf(out, "    %-18s %12s  (N_test = %lld)\n", "cross kernel", text,
                (long long)plan->n_test);
        plan_format_flops(plan->flops_predict, text, sizeof text);
        fprintf(out, "    %-18s %12s\n", "predictions", text);
        if (plan->linear_solver != NULL) {
            plan_format_flops(plan->flops_linear, text, sizeof text);
            fprintf(out, "    %-18s %12s  (predict.solver %s: %s)\n", "  linear solve", text,
                    plan->linear_solver, plan->linear_why);
        }
    }
    plan_format_seconds(plan->seconds_estimate, text, sizeof text);
    fprintf(out, "\n  time estimate      about %s (rough; slurm/submit adds a safety factor)\n",
            text);
}

/* A flop count as a YAML float of 6 significant digits ("1.0e+06", never
 * "1e+06", which YAML 1.1 readers load as a string); valid for the statement. */
#define YAML_FLOPS(value)                                                                         \
    ntk_yaml_format_double((char[NTK_YAML_NUMBER_MAX]){0}, NTK_YAML_NUMBER_MAX, (value), 6)

static void plan_print_yaml(const ntk_plan *plan, FILE *out)
{
    if (plan->config.path != NULL) {
        fputs("job: ", out);
        ntk_write_quoted(out, plan->config.path, '\''); /* YAML single-quoted */
        fputs("\nname: ", out);
        ntk_write_quoted(out, plan->config.name, '\'');
        fputc('\n', out);
    }
    fprintf(out, "n_inputs: %lld\ninput_dim: %lld\noutputs: %lld\nm_rows: %lld\nn_params: %lld\n",
            (long long)plan->n_inputs, (long long)plan->input_dim, (long long)plan->k,
            (long long)plan->m_rows, (long long)plan->n_params);
    fprintf(out, "method: %s\nlower_only: %s\n", plan->method, plan->lower_only ? "true" : "false");
    fprintf(out, "ranks: %d\ngrid: [%d, %d]\nblock: %d\n", plan->ranks, plan->grid_rows,
            plan->grid_cols, plan->block);
    if (plan->n_forms > 0) {
        fputs("structured_forms:\n", out);
        for (int f = 0; f < plan->n_forms; ++f)
            fprintf(out, "  - {layer: %d, form: %s, block_flops: %s, pairwise_flops: %s, "
                    "block_rows: %lld, chunk_rows: %lld}\n",
                    plan->forms[f].layer, plan->forms[f].form, YAML_FLOPS(plan->forms[f].block_flops),
                    YAML_FLOPS(plan->forms[f].pairwise_flops), (long long)plan->forms[f].block_rows,
                    (long long)plan->forms[f].chunk_rows);
    }
    if (plan->n_analytic_layers > 0) {
        fprintf(out, "analytic_pair_flops: %s\nanalytic_entry_seconds: %.6g\n"
                "analytic_step_seconds: %.6g\nanalytic_layers:\n",
                YAML_FLOPS(plan->analytic_pair_flops), plan->analytic_entry_seconds,
                plan->analytic_step_seconds);
        for (int i = 0; i < plan->n_analytic_layers; ++i)
            fprintf(out, "  - {layer: %d, type: %s, form: %s, positions: %lld, flops: %s}\n", i,
                    plan->analytic_layers[i].type,
                    strcmp(plan->analytic_layers[i].form, "all pairs") == 0 ? "full" : "diagonal",
                    (long long)plan->analytic_layers[i].positions,
                    YAML_FLOPS(plan->analytic_layers[i].flops));
    }
    if (plan->method != NULL && strcmp(plan->method, "structured") == 0)
        fprintf(out, "structured_chunks:\n  budget_bytes: %.0f\n  passes: %lld\n"
                "  whole_layers_bytes: %.0f\n  chunk_passes_bytes: %.0f\n  chunk_flops: %s\n"
                "  forward_backward_flops: %s\n",
                plan->chunk_budget_bytes, (long long)plan->chunk_passes,
                plan->bytes_features_resident, plan->bytes_features_chunks,
                YAML_FLOPS(plan->flops_chunk_features), YAML_FLOPS(plan->flops_forward_backward));
    if (plan_is_float32(plan))
        fprintf(out, "precision: float32\n");
    fprintf(out, "solver: %s\nsolver_reason: \"%s\"\neigenpairs: %lld\n",
            plan_solver_text(plan), plan->solver_reason ? plan->solver_reason : "",
            (long long)(plan->solver == NTK_SOLVER_NONE ? 0 : plan->eigenpairs));
    if (plan->solve_rows > 0)
        fprintf(out, "solve_grid: [%d, %d]\nsolve_block: %d\nsolve_moved: %s\n",
                plan->solve_rows, plan->solve_cols, plan->solve_block,
                plan->solve_moved ? "true" : "false");
    fprintf(out, "memory_per_rank_bytes:\n");
    fprintf(out, "  baseline: %.0f\n  inputs: %.0f\n  model: %.0f\n  features: %.0f\n",
            plan->bytes_baseline, plan->bytes_inputs, plan->bytes_model, plan->bytes_features);
    fprintf(out, "  theta: %.0f\n  theta_copy: %.0f\n  eigenvectors: %.0f\n  solver: %.0f\n",
            plan->bytes_theta, plan->bytes_theta_copy, plan->bytes_vectors, plan->bytes_solver);
    fprintf(out, "  output: %.0f\n  assembly_phase: %.0f\n  eigensolve_phase: %.0f\n",
            plan->bytes_output, plan->bytes_phase_assembly, plan->bytes_phase_solve);
    fprintf(out, "  theta_solve: %.0f\n  redistribute: %.0f\n", plan->bytes_theta_solve,
            plan->bytes_redistribute);
    if (plan->bytes_extra_kernels > 0.0)
        fprintf(out, "  extra_kernels: %.0f\n", plan->bytes_extra_kernels);
    if (plan->bytes_diagnostics > 0.0)
        fprintf(out, "  diagnostics: %.0f\n  diagnostics_phase: %.0f\n", plan->bytes_diagnostics,
                plan->bytes_phase_diagnostics);
    fprintf(out, "  output_phase: %.0f\n  peak: %.0f\n", plan->bytes_phase_output,
            plan->bytes_peak);
    fprintf(out, "peak_phase: %s\npeak_bytes_per_rank: %.0f\n", plan->peak_phase,
            plan->bytes_peak);
    fprintf(out,
            "flops:\n  features: %s\n  assembly: %s\n  eigensolve: %s\n  eigenpair_check: "
            "%s\n  total: %s\n",
            YAML_FLOPS(plan->flops_features), YAML_FLOPS(plan->flops_assembly),
            YAML_FLOPS(plan->flops_solver), YAML_FLOPS(plan->flops_check),
            YAML_FLOPS(plan->flops_features + plan->flops_assembly + plan->flops_solver +
                       plan->flops_check + plan->flops_cross + plan->flops_predict));
    fprintf(out, "held_out:\n  n_test: %lld\n  cross_bytes: %.0f\n  predict_bytes: %.0f\n"
                 "  predict_phase_bytes: %.0f\n  cross_flops: %s\n  predict_flops: %s\n",
            (long long)plan->n_test, plan->bytes_cross, plan->bytes_predict,
            plan->bytes_phase_predict, YAML_FLOPS(plan->flops_cross),
            YAML_FLOPS(plan->flops_predict));
    if (plan->linear_solver != NULL)
        fprintf(out, "  linear_solver: %s\n  linear_why: \"%s\"\n  linear_bytes: %.0f\n"
                     "  linear_theta_copy_bytes: %.0f\n  linear_flops: %s\n",
                plan->linear_solver, plan->linear_why, plan->bytes_linear,
                plan->bytes_linear_theta_copy, YAML_FLOPS(plan->flops_linear));
    if (plan->predict_matrix_free) {
        fprintf(out, "predict_cg:\n  operator: matrix_free\n  operator_why: ");
        ntk_write_quoted(out, plan->predict_operator_why[0] != '\0'
                                  ? plan->predict_operator_why
                                  : "predict.operator: matrix_free",
                         '\'');
        fprintf(out, "\n  products_bound: %.0f\n  product_flops: %s\n",
                plan->products_estimate, YAML_FLOPS(plan->product_flops));
    }
    if (plan->solver == NTK_SOLVER_MATRIX_FREE)
        fprintf(out, "matrix_free:\n  features: %s\n  basis_size: %lld\n  products_estimate: "
                "%.0f\n  product_flops: %s\n",
                plan->matrix_free_stored ? "stored" : "recompute", (long long)plan->basis_size,
                plan->products_estimate, YAML_FLOPS(plan->product_flops));
    ntk_blas_kernels blas;
    ntk_blas_kernels_detect(&blas);
    fprintf(out, "blas:\n  library: \"%s\"\n  kernels: \"%s\"\n  kernels_simd: %s\n  cpu_simd: %s\n"
            "  suggested_coretype: %s\n", blas.library, blas.kernels, blas.kernels_simd,
            blas.cpu_simd, blas.suggested != NULL ? blas.suggested : "null");
    if (isfinite(plan->seconds_estimate))
        fprintf(out, "seconds_estimate: %.1f\n", plan->seconds_estimate);
    else
        fprintf(out, "seconds_estimate: %s\n", YAML_FLOPS(plan->seconds_estimate));
}

#undef YAML_FLOPS

void plan_print(const ntk_plan *plan, FILE *out, int as_yaml)
{
    if (as_yaml)
        plan_print_yaml(plan, out);
    else
        plan_print_text(plan, out);
}
