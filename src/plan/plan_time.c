/* The job's time limit and the check that the analytic kernel's assembly
 * can make progress within it (see plan.h). A conv net's analytic kernel is
 * written to checkpoints at assembly step boundaries only, and a job
 * stopped by its time limit resumes from the last one: a step longer than
 * the limit would be requeued forever without one, so the run is refused
 * at its start, with plan's estimate. */
#include "plan/plan.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* slurm/ntkgram.sbatch asks Slurm for USR1 this long before the limit. */
static const double PLAN_STOP_WARNING_SECONDS = 120.0;

/* Up to three non-negative integers separated by ':' into part[]; their
 * count, or -1 when the text is not that. */
static int plan_clock_parts(const char *text, long part[3])
{
    int count = 0;
    while (count < 3) {
        if (!isdigit((unsigned char)*text))
            return -1;
        char *end = NULL;
        part[count++] = strtol(text, &end, 10);
        text = end;
        if (*text == '\0')
            return count;
        if (*text != ':')
            return -1;
        ++text;
    }
    return -1;
}

/* Slurm's --time formats: minutes, minutes:seconds, hours:minutes:seconds,
 * days-hours, days-hours:minutes, days-hours:minutes:seconds. */
static int plan_slurm_seconds(const char *text, double *seconds)
{
    long days = 0, part[3] = {0, 0, 0};
    const char *dash = strchr(text, '-');
    if (dash != NULL) {
        char *end = NULL;
        if (!isdigit((unsigned char)*text))
            return 1;
        days = strtol(text, &end, 10);
        if (end != dash)
            return 1;
        int count = plan_clock_parts(dash + 1, part);
        if (count < 1)
            return 1;
        *seconds = 86400.0 * (double)days + 3600.0 * (double)part[0] +
                   60.0 * (double)(count > 1 ? part[1] : 0) + (double)(count > 2 ? part[2] : 0);
        return 0;
    }
    int count = plan_clock_parts(text, part);
    if (count == 1)
        *seconds = 60.0 * (double)part[0];
    else if (count == 2)
        *seconds = 60.0 * (double)part[0] + (double)part[1];
    else if (count == 3)
        *seconds = 3600.0 * (double)part[0] + 60.0 * (double)part[1] + (double)part[2];
    else
        return 1;
    return 0;
}

ntk_status plan_time_limit(double *seconds)
{
    *seconds = 0.0;
    const char *text = getenv("NTK_TIME_LIMIT");
    if (text == NULL || *text == '\0' || strcmp(text, "UNLIMITED") == 0 ||
        strcmp(text, "INFINITE") == 0 || strcmp(text, "NOT_SET") == 0)
        return NTK_OK;
    double value = 0.0;
    if (plan_slurm_seconds(text, &value) != 0 || !(value > 0.0))
        return NTK_RAISE(NTK_ERR_USAGE,
                         "NTK_TIME_LIMIT='%s': not a time limit in Slurm's --time format "
                         "(minutes, [days-]hours:minutes:seconds, ...) or UNLIMITED", text);
    *seconds = value;
    return NTK_OK;
}

ntk_status plan_check_time(const ntk_plan *plan, double limit_seconds)
{
    if (!(limit_seconds > 0.0) || plan->n_analytic_layers == 0)
        return NTK_OK;
    /* the stop request comes PLAN_STOP_WARNING_SECONDS before the limit */
    const double usable = limit_seconds > 2.0 * PLAN_STOP_WARNING_SECONDS
                              ? limit_seconds - PLAN_STOP_WARNING_SECONDS
                              : 0.5 * limit_seconds;
    if (plan->analytic_step_seconds <= usable)
        return NTK_OK;
    return NTK_RAISE(NTK_ERR_JOB,
                     "%s: kernel.kind analytic: one assembly step (the unit between "
                     "checkpoints: %lld local rows against a block of %d columns) would take about "
                     "%.3g s by plan's estimate (%.3g flops and about %.3g s per pair of inputs on "
                     "one rank; whole job about %.3g s), longer than the %.0f s the time limit "
                     "leaves (NTK_TIME_LIMIT %.0f s, less the %.0f s stop warning): no "
                     "checkpoint could be written before it. Use more ranks or a smaller "
                     "grid.block (`ntkgram plan` shows the step's estimate), or a longer "
                     "time limit",
                     plan->config.path ? plan->config.path : "job",
                     (long long)plan->analytic_step_rows, plan->block,
                     plan->analytic_step_seconds, plan->analytic_pair_flops,
                     plan->analytic_entry_seconds, plan->seconds_estimate, usable, limit_seconds,
                     limit_seconds > 2.0 * PLAN_STOP_WARNING_SECONDS ? PLAN_STOP_WARNING_SECONDS
                                                                     : 0.5 * limit_seconds);
}
