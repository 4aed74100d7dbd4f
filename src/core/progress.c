/* Progress of a long phase on rank 0 (see progress.h).
 *
 * Two shapes, chosen by whether stderr is a terminal: a live bar redrawn in
 * place with '\r' (at most a few times a second, so a fast loop does not spend
 * its time printing), or plain log lines for batch logs, where a carriage
 * return would turn the file into one unreadable line: one line every
 * PROGRESS_LOG_INTERVAL seconds and one at each quarter, so a short job still
 * shows where it was. Other ranks do nothing. */
#include "core/progress.h"

#include <mpi.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

enum { PROGRESS_BAR_WIDTH = 30 };
static const double PROGRESS_LOG_INTERVAL = 10.0;  /* seconds between batch-log lines */
static const double PROGRESS_BAR_INTERVAL = 0.2;   /* seconds between bar redraws */

/* "1:02:03", "4:05" or "--:--" when the rate is not known yet. */
static void progress_format_duration(double seconds, char *text, size_t size)
{
    if (!(seconds >= 0.0) || seconds > 1e8) {
        snprintf(text, size, "--:--");
        return;
    }
    long total = (long)(seconds + 0.5);
    long hours = total / 3600, minutes = (total / 60) % 60, secs = total % 60;
    if (hours > 0)
        snprintf(text, size, "%ld:%02ld:%02ld", hours, minutes, secs);
    else
        snprintf(text, size, "%ld:%02ld", minutes, secs);
}

/* Rate in steps per second over this run (resumed steps do not count: they
 * took no time here) and the time left at that rate. */
static void progress_rate(const ntk_progress *progress, double now, double *rate, double *eta)
{
    double elapsed = now - progress->start;
    int64_t fresh = progress->done - progress->first;
    *rate = (elapsed > 0.0 && fresh > 0) ? (double)fresh / elapsed : 0.0;
    *eta = *rate > 0.0 ? (double)(progress->total - progress->done) / *rate : -1.0;
}

static double progress_percent(const ntk_progress *progress)
{
    return progress->total > 0 ? 100.0 * (double)progress->done / (double)progress->total : 100.0;
}

static void progress_draw_bar(ntk_progress *progress, double now)
{
    double rate, eta;
    progress_rate(progress, now, &rate, &eta);
    double percent = progress_percent(progress);
    char bar[PROGRESS_BAR_WIDTH + 1];
    int filled = (int)(percent / 100.0 * PROGRESS_BAR_WIDTH + 0.5);
    for (int i = 0; i < PROGRESS_BAR_WIDTH; ++i)
        bar[i] = i < filled ? '#' : '.';
    bar[PROGRESS_BAR_WIDTH] = '\0';
    char eta_text[32];
    progress_format_duration(eta, eta_text, sizeof eta_text);
    /* The trailing spaces wipe the rest of a longer previous line. */
    fprintf(stderr, "\r%s [%s] %5.1f%% %lld/%lld  %.3g steps/s  ETA %s   ", progress->phase, bar,
            percent, (long long)progress->done, (long long)progress->total, rate, eta_text);
    fflush(stderr);
    progress->last_print = now;
}

static void progress_log_line(ntk_progress *progress, double now)
{
    double rate, eta;
    progress_rate(progress, now, &rate, &eta);
    char eta_text[32];
    progress_format_duration(eta, eta_text, sizeof eta_text);
    ntk_log("%s: %5.1f%% (%lld/%lld steps), %.3g steps/s, ETA %s", progress->phase,
            progress_percent(progress), (long long)progress->done, (long long)progress->total,
            rate, eta_text);
    progress->last_print = now;
    progress->last_quarter = progress->total > 0 ? (int)(4 * progress->done / progress->total) : 4;
}

void progress_start(ntk_progress *progress, const char *phase, int64_t total, int64_t already_done)
{
    memset(progress, 0, sizeof *progress);
    snprintf(progress->phase, sizeof progress->phase, "%s", phase);
    progress->total = total;
    progress->done = already_done;
    progress->first = already_done;
    progress->start = MPI_Wtime();
    progress->last_print = progress->start;
    progress->active = ntk_log_rank() == 0 && !ntk_log_quiet();
    progress->is_terminal = progress->active && isatty(STDERR_FILENO);
    progress->last_quarter = total > 0 ? (int)(4 * already_done / total) : 4;
    if (!progress->active)
        return;
    if (progress->is_terminal)
        progress_draw_bar(progress, progress->start);
    else if (already_done > 0)
        ntk_log("%s: resuming at %lld/%lld steps", phase, (long long)already_done, (long long)total);
}

void progress_update(ntk_progress *progress, int64_t done)
{
    if (!progress->active)
        return;
    progress->done = done;
    double now = MPI_Wtime();
    if (progress->is_terminal) {
        if (now - progress->last_print >= PROGRESS_BAR_INTERVAL || done >= progress->total)
            progress_draw_bar(progress, now);
        return;
    }
    int quarter = progress->total > 0 ? (int)(4 * done / progress->total) : 4;
    if (now - progress->last_print >= PROGRESS_LOG_INTERVAL || quarter > progress->last_quarter)
        progress_log_line(progress, now);
}

void progress_finish(ntk_progress *progress)
{
    if (!progress->active)
        return;
    double now = MPI_Wtime();
    if (progress->is_terminal) {
        progress_draw_bar(progress, now);
        fputc('\n', stderr);
        fflush(stderr);
    } else if (progress->last_quarter < 4 || progress->done < progress->total) {
        /* Stopped early (a signal) or the last update was not logged yet. */
        progress_log_line(progress, now);
    }
    progress->active = 0;
}
