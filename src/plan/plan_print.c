/* Printing a plan: a table for people, YAML for scripts (slurm/submit reads
 * peak_bytes_per_rank and seconds_estimate). */
#include "plan/plan.h"

#include <string.h>

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

static void plan_print_text(const ntk_plan *plan, FILE *out)
{
    const int full = plan->job != NULL && plan->job->kernel.outputs == NTK_OUTPUTS_FULL;
    char text[64];
    fprintf(out, "plan for %s on %d rank%s\n", plan->job != NULL ? plan->job->path : "the job",
            plan->ranks, plan->ranks == 1 ? "" : "s");
    fprintf(out, "  data      N = %lld inputs of dimension %lld, k = %lld outputs\n",
            (long long)plan->n_inputs, (long long)plan->input_dim, (long long)plan->k);
    fprintf(out, "  theta     M = %lld (%s), %lld x %lld\n", (long long)plan->m_rows,
            full ? "full: N k" : "trace: N", (long long)plan->m_rows, (long long)plan->m_rows);
    fprintf(out, "  model     %lld parameters\n", (long long)plan->n_params);
    fprintf(out, "  kernel    %s%s\n", plan->method,
            plan->lower_only ? ", lower triangle only" : ", lower triangle mirrored to the whole matrix");
    fprintf(out, "  grid      %d x %d, block %d\n", plan->grid_rows, plan->grid_cols, plan->block);
    if (plan->solver == NTK_SOLVER_NONE)
        fprintf(out, "  solver    none\n");
    else
        fprintf(out, "  solver    %s, %lld eigenpairs (%s)\n", job_solver_name(plan->solver),
                (long long)plan->eigenpairs, plan->solver_reason ? plan->solver_reason : "");
    fprintf(out, "\n  memory per rank (the rank that holds the most)\n");
    plan_print_bytes_row(out, "baseline", plan->bytes_baseline, "(MPI, BLAS, ScaLAPACK libraries)");
    plan_print_bytes_row(out, "inputs", plan->bytes_inputs, "");
    plan_print_bytes_row(out, "model", plan->bytes_model, "");
    plan_print_bytes_row(out, "features", plan->bytes_features, "(during assembly)");
    plan_print_bytes_row(out, "theta", plan->bytes_theta, "");
    if (plan->bytes_theta_copy > 0.0)
        plan_print_bytes_row(out, "theta copy", plan->bytes_theta_copy, "(training.kernel_after)");
    plan_print_bytes_row(out, "eigenvectors", plan->bytes_vectors, "");
    plan_print_bytes_row(out, "solver workspace", plan->bytes_solver, "");
    plan_print_bytes_row(out, "outputs", plan->bytes_output, "");
    plan_print_bytes_row(out, "assembly phase", plan->bytes_phase_assembly, "");
    if (plan->solver != NTK_SOLVER_NONE) {
        plan_print_bytes_row(out, "eigensolve phase", plan->bytes_phase_solve, "");
        plan_print_bytes_row(out, "output phase", plan->bytes_phase_output, "");
    }
    char note[64];
    snprintf(note, sizeof note, "(%s)", plan->peak_phase);
    plan_print_bytes_row(out, "peak", plan->bytes_peak, note);

    fprintf(out, "\n  floating-point work (all ranks)\n");
    plan_format_flops(plan->flops_features, text, sizeof text);
    fprintf(out, "    %-18s %12s\n", "features", text);
    plan_format_flops(plan->flops_assembly, text, sizeof text);
    fprintf(out, "    %-18s %12s\n", "assembly", text);
    plan_format_flops(plan->flops_solver, text, sizeof text);
    fprintf(out, "    %-18s %12s\n", "eigensolve", text);
    plan_format_flops(plan->flops_check, text, sizeof text);
    fprintf(out, "    %-18s %12s\n", "eigenpair check", text);
    plan_format_seconds(plan->seconds_estimate, text, sizeof text);
    fprintf(out, "\n  time estimate      about %s (rough; slurm/submit adds a safety factor)\n",
            text);
}

/* A YAML single-quoted scalar. */
static void plan_print_quoted(FILE *out, const char *text)
{
    fputc('\'', out);
    for (const char *p = text; *p != '\0'; ++p) {
        if (*p == '\'')
            fputc('\'', out);
        fputc(*p, out);
    }
    fputc('\'', out);
}

static void plan_print_yaml(const ntk_plan *plan, FILE *out)
{
    if (plan->job != NULL) {
        fputs("job: ", out);
        plan_print_quoted(out, plan->job->path);
        fputs("\nname: ", out);
        plan_print_quoted(out, plan->job->name);
        fputc('\n', out);
    }
    fprintf(out, "n_inputs: %lld\ninput_dim: %lld\noutputs: %lld\nm_rows: %lld\nn_params: %lld\n",
            (long long)plan->n_inputs, (long long)plan->input_dim, (long long)plan->k,
            (long long)plan->m_rows, (long long)plan->n_params);
    fprintf(out, "method: %s\nlower_only: %s\n", plan->method, plan->lower_only ? "true" : "false");
    fprintf(out, "ranks: %d\ngrid: [%d, %d]\nblock: %d\n", plan->ranks, plan->grid_rows,
            plan->grid_cols, plan->block);
    fprintf(out, "solver: %s\nsolver_reason: \"%s\"\neigenpairs: %lld\n",
            job_solver_name(plan->solver), plan->solver_reason ? plan->solver_reason : "",
            (long long)(plan->solver == NTK_SOLVER_NONE ? 0 : plan->eigenpairs));
    fprintf(out, "memory_per_rank_bytes:\n");
    fprintf(out, "  baseline: %.0f\n  inputs: %.0f\n  model: %.0f\n  features: %.0f\n",
            plan->bytes_baseline, plan->bytes_inputs, plan->bytes_model, plan->bytes_features);
    fprintf(out, "  theta: %.0f\n  theta_copy: %.0f\n  eigenvectors: %.0f\n  solver: %.0f\n",
            plan->bytes_theta, plan->bytes_theta_copy, plan->bytes_vectors, plan->bytes_solver);
    fprintf(out, "  output: %.0f\n  assembly_phase: %.0f\n  eigensolve_phase: %.0f\n",
            plan->bytes_output, plan->bytes_phase_assembly, plan->bytes_phase_solve);
    fprintf(out, "  output_phase: %.0f\n  peak: %.0f\n", plan->bytes_phase_output,
            plan->bytes_peak);
    fprintf(out, "peak_phase: %s\npeak_bytes_per_rank: %.0f\n", plan->peak_phase,
            plan->bytes_peak);
    fprintf(out,
            "flops:\n  features: %.6g\n  assembly: %.6g\n  eigensolve: %.6g\n  eigenpair_check: "
            "%.6g\n  total: %.6g\n",
            plan->flops_features, plan->flops_assembly, plan->flops_solver, plan->flops_check,
            plan->flops_features + plan->flops_assembly + plan->flops_solver + plan->flops_check);
    fprintf(out, "seconds_estimate: %.1f\n", plan->seconds_estimate);
}

void plan_print(const ntk_plan *plan, FILE *out, int as_yaml)
{
    if (as_yaml)
        plan_print_yaml(plan, out);
    else
        plan_print_text(plan, out);
}
