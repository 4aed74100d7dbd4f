/* `ntkgram plan JOB.yaml [--ranks P] [--mem-per-rank SIZE] [--format yaml] [--set k=v]...`
 *
 * Sizes a job without computing it: N, M, parameters, grid, memory per rank
 * per phase, flops per phase and a time estimate (plan/plan.h). With
 * --mem-per-rank it also prints whether the job fits and the fewest ranks
 * that make it fit; without, it checks against the memory this node (or the
 * Slurm allocation) gives each rank. A sweep is planned point by point and
 * the largest point is shown, with the number of points (slurm/submit turns
 * them into a job array). Rank 0 prints; every rank computes the same. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "core/log.h"
#include "output/output.h"
#include "pipeline/inputs.h"
#include "plan/plan.h"
#include "sweep/point.h"
#include "sweep/sweep.h"

/* Beyond this many points only the job as written is planned (each point is
 * a job file load; a sweep that large is better planned by its parts). */
enum { PLAN_MAX_SWEEP_POINTS = 4096 };

typedef struct {
    ntk_job *job;            /* the point with the largest peak */
    ntk_plan plan;
    int64_t points;          /* sweep points (1 without a sweep) */
    int64_t largest_point;   /* -1 without a sweep */
    double seconds_longest;  /* the slowest point, for a job array's time limit */
    int min_ranks;           /* with --mem-per-rank: the most any point needs */
} plan_outcome;

/* Load one point of the job (point < 0: the job as written) and plan it. */
static ntk_status plan_point(const ntk_cli_options *options, const ntk_job *base, int64_t point,
                             int ranks, ntk_job *job, ntk_plan *plan, int *min_ranks)
{
    if (point < 0) {
        memcpy(job, base, sizeof *job);
    } else {
        /* The same job the sweep would run for this point (sweep/sweep.c). */
        ntk_override values[NTK_MAX_SWEEP_KEYS];
        int n_values = 0;
        char name[SWEEP_NAME_MAX + 1], dir[NTK_PATH_MAX];
        NTK_TRY(sweep_point_overrides(base, point, values, &n_values));
        sweep_point_name(base, point, name, sizeof name);
        NTK_TRY(output_path(base->output.dir, name, dir));
        ntk_job_point values_and_dir = {.values = values, .n_values = n_values, .dir = dir};
        NTK_TRY(job_request_load(&options->request, &values_and_dir, job));
    }
    ntk_data_shape shape;
    NTK_TRY(inputs_shape(job, &shape));
    /* auto picks no solver whose planned peak exceeds --mem-per-rank */
    const ntk_plan_config plan_config = job_plan_config(job);
    NTK_TRY(plan_make_within(&plan_config, shape.n_inputs, &shape.input, ranks,
                             options->mem_per_rank, plan));
    NTK_TRY(plan_fit_features(&plan_config, options->mem_per_rank, plan)); /* matrix_free auto */
    /* predict.operator auto */
    NTK_TRY(plan_fit_predict_operator(&plan_config, options->mem_per_rank, plan));
    *min_ranks = options->mem_per_rank > 0.0
                     ? plan_min_ranks_shaped(&plan_config, shape.n_inputs, &shape.input,
                                             options->mem_per_rank)
                     : 0;
    return NTK_OK;
}

static ntk_status plan_all_points(const ntk_cli_options *options, const ntk_job *base, int ranks,
                                  plan_outcome *outcome)
{
    outcome->points = sweep_points(base);
    outcome->largest_point = -1;
    if (outcome->points <= 1 || outcome->points > PLAN_MAX_SWEEP_POINTS) {
        NTK_TRY(plan_point(options, base, -1, ranks, outcome->job, &outcome->plan,
                           &outcome->min_ranks));
        outcome->plan.config = job_plan_config(outcome->job);
        outcome->seconds_longest = outcome->plan.seconds_estimate;
        return NTK_OK;
    }
    ntk_job *job = NULL;
    NTK_TRY(NTK_CALLOC(job, 1, "a sweep point's job"));
    ntk_status status = NTK_OK;
    int some_point_fits_nowhere = 0;
    for (int64_t point = 0; point < outcome->points; ++point) {
        ntk_plan plan;
        int min_ranks = 0;
        status = sweep_name_point_failure(
            base, point, plan_point(options, base, point, ranks, job, &plan, &min_ranks));
        if (status != NTK_OK)
            break;
        if (outcome->largest_point < 0 || plan.bytes_peak > outcome->plan.bytes_peak) {
            memcpy(outcome->job, job, sizeof *job);
            outcome->plan = plan;
            outcome->plan.config = job_plan_config(outcome->job);
            outcome->largest_point = point;
        }
        if (plan.seconds_estimate > outcome->seconds_longest)
            outcome->seconds_longest = plan.seconds_estimate;
        if (min_ranks == 0)
            some_point_fits_nowhere = 1;
        else if (min_ranks > outcome->min_ranks)
            outcome->min_ranks = min_ranks;
    }
    if (some_point_fits_nowhere)
        outcome->min_ranks = 0;
    free(job);
    return status;
}

/* "512 MiB" below 1 GiB, "2.00 GiB" above: the sizes people pass to
 * --mem-per-rank; smaller ones in KiB or bytes, so that 1K is not "0 MiB". */
static void format_size(double bytes, char *text, size_t size)
{
    if (bytes < 1024.0)
        snprintf(text, size, "%.0f bytes", bytes);
    else if (bytes < 1048576.0)
        snprintf(text, size, "%.0f KiB", bytes / 1024.0);
    else if (bytes < 1073741824.0)
        snprintf(text, size, "%.0f MiB", bytes / 1048576.0);
    else
        snprintf(text, size, "%.2f GiB", bytes / 1073741824.0);
}

static void print_fit(const plan_outcome *outcome, double bytes_per_rank, int given, FILE *out,
                      int as_yaml)
{
    const ntk_plan *plan = &outcome->plan;
    int fits = bytes_per_rank <= 0.0 || plan->bytes_peak <= bytes_per_rank;
    /* Where the shown job (the largest point of a sweep) writes its results:
     * --set output.dir and --out apply as they do in `run`. */
    const char *output_dir = outcome->job->output.dir;
    if (as_yaml) {
        fputs("output_dir: ", out);
        job_write_yaml_string(out, output_dir);
        fputc('\n', out);
        fprintf(out, "sweep_points: %lld\n", (long long)outcome->points);
        fprintf(out, "seconds_estimate_longest_point: %.1f\n", outcome->seconds_longest);
        if (outcome->largest_point >= 0) {
            char name[SWEEP_NAME_MAX + 1];
            sweep_point_name(outcome->job, outcome->largest_point, name, sizeof name);
            fprintf(out, "largest_point: %lld\nlargest_point_name: '%s'\n",
                    (long long)outcome->largest_point, name);
        }
        fprintf(out, "mem_per_rank_bytes: %.0f\nmem_per_rank_source: %s\nfits: %s\n",
                bytes_per_rank, given ? "option" : "environment", fits ? "true" : "false");
        if (given)
            fprintf(out, "min_ranks: %d\n", outcome->min_ranks);
        return;
    }
    if (outcome->points > 1) {
        fprintf(out, "\n  sweep     %lld points, one run each", (long long)outcome->points);
        if (outcome->largest_point >= 0) {
            char name[SWEEP_NAME_MAX + 1];
            sweep_point_name(outcome->job, outcome->largest_point, name, sizeof name);
            fprintf(out, "; shown: the largest, point %lld (%s)", (long long)outcome->largest_point,
                    name);
        } else {
            fprintf(out, "; shown: the job as written (too many points to plan each)");
        }
        fputc('\n', out);
    }
    fprintf(out, "\n  output    %s/\n", output_dir);
    char size_text[32];
    format_size(bytes_per_rank, size_text, sizeof size_text);
    if (bytes_per_rank > 0.0)
        fprintf(out, "\n  memory per rank %s: %s -> %s\n", given ? "given" : "available here",
                size_text, fits ? "fits" : "does NOT fit");
    if (given) {
        if (outcome->min_ranks > 0)
            fprintf(out, "  fewest ranks that fit in %s per rank: %d\n", size_text,
                    outcome->min_ranks);
        else
            fprintf(out, "  no rank count up to 2^20 fits in %s per rank\n", size_text);
    }
}

int cmd_plan(int argc, char **argv)
{
    int rank = 0, world = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world);
    ntk_cli_options options;
    ntk_status status = cli_parse_options(argc, argv, "plan",
                                          "set out quiet verbose ranks mem-per-rank format no-sweep",
                                          &options);
    ntk_job *base = NULL;
    plan_outcome outcome;
    memset(&outcome, 0, sizeof outcome);
    if (status == NTK_OK)
        status = NTK_CALLOC(base, 1, "the job");
    if (status == NTK_OK)
        status = NTK_CALLOC(outcome.job, 1, "the job");
    if (status == NTK_OK)
        status = job_request_load(&options.request, NULL, base);
    if (status == NTK_OK)
        status = plan_all_points(&options, base, options.ranks > 0 ? options.ranks : world,
                                 &outcome);
    status = ntk_agree(status, MPI_COMM_WORLD);

    /* Without --mem-per-rank: what this allocation or node gives each rank
     * (meaningful when planning for the ranks it runs on). Collective. */
    double bytes_per_rank = options.mem_per_rank;
    if (status == NTK_OK && bytes_per_rank <= 0.0)
        status = plan_memory_per_rank(MPI_COMM_WORLD, &bytes_per_rank);
    if (status == NTK_OK && (options.ranks > 0 && options.ranks != world) &&
        options.mem_per_rank <= 0.0)
        bytes_per_rank = 0.0; /* this node's share is for `world` ranks, not --ranks */
    /* predict.operator auto against this node's share, as run decides it */
    if (status == NTK_OK && options.mem_per_rank <= 0.0 && bytes_per_rank > 0.0)
        status = plan_fit_predict_operator(&outcome.plan.config, bytes_per_rank, &outcome.plan);

    if (status == NTK_OK && rank == 0) {
        plan_print(&outcome.plan, stdout, options.format_yaml);
        print_fit(&outcome, bytes_per_rank, options.mem_per_rank > 0.0, stdout,
                  options.format_yaml);
        fflush(stdout);
    }
    if (status != NTK_OK && rank == 0)
        ntk_error_print(options.verbose);
    free(outcome.job);
    free(base);
    return ntk_exit_code(status);
}
