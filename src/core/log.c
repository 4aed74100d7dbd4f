/* Rank-0 log lines and phase timing (see log.h). */
#include "core/log.h"

#include <mpi.h>
#include <stdarg.h>
#include <string.h>

static int log_rank = 0;
static int log_quiet = 0;
static double log_start = 0.0;
static ntk_phase_times phases;
static int current_phase = -1;
static double phase_start = 0.0;

void ntk_log_init(int rank, int quiet)
{
    log_rank = rank;
    log_quiet = quiet;
    log_start = MPI_Wtime();
}

int ntk_log_rank(void) { return log_rank; }
int ntk_log_quiet(void) { return log_quiet; }

double ntk_elapsed(void) { return MPI_Wtime() - log_start; }

static void log_line(const char *prefix, const char *format, va_list args)
{
    fprintf(stderr, "[%8.2f s] %s", ntk_elapsed(), prefix);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    fflush(stderr);
}

void ntk_log(const char *format, ...)
{
    if (log_rank != 0 || log_quiet)
        return;
    va_list args;
    va_start(args, format);
    log_line("", format, args);
    va_end(args);
}

void ntk_warn(const char *format, ...)
{
    if (log_rank != 0)
        return;
    va_list args;
    va_start(args, format);
    log_line("warning: ", format, args);
    va_end(args);
}

void ntk_phase_begin(const char *name)
{
    if (current_phase >= 0)
        ntk_phase_end();
    int found = -1;
    for (int i = 0; i < phases.count; ++i)
        if (strcmp(phases.name[i], name) == 0)
            found = i;
    if (found < 0 && phases.count < NTK_MAX_PHASES) {
        found = phases.count++;
        snprintf(phases.name[found], sizeof phases.name[found], "%s", name);
        phases.seconds[found] = 0.0;
    }
    current_phase = found;
    phase_start = MPI_Wtime();
    ntk_log("%s ...", name);
}

void ntk_phase_end(void)
{
    if (current_phase < 0)
        return;
    double seconds = MPI_Wtime() - phase_start;
    phases.seconds[current_phase] += seconds;
    ntk_log("%s done in %.3f s", phases.name[current_phase], seconds);
    current_phase = -1;
}

const ntk_phase_times *ntk_phases(void) { return &phases; }

void ntk_phases_reset(void)
{
    memset(&phases, 0, sizeof phases);
    current_phase = -1;
}
