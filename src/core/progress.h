/* Progress of a long phase on rank 0: phase, percent, rate and ETA — a live
 * bar when stderr is a terminal, plain periodic lines in a batch log. */
#ifndef NTK_CORE_PROGRESS_H
#define NTK_CORE_PROGRESS_H

#include <stdint.h>

typedef struct {
    char phase[48];
    int64_t total, done, first;  /* first: already done when started (resume) */
    double start, last_print;
    int is_terminal, active;
    int last_quarter;            /* batch logs: the last 25% mark logged (0..4) */
} ntk_progress;

/* Only rank 0 (ntk_log_rank) prints; on other ranks these calls do nothing,
 * so every rank may call them. Plain lines go through ntk_log, so --quiet
 * silences them; the terminal bar is drawn directly. */

void progress_start(ntk_progress *progress, const char *phase, int64_t total, int64_t already_done);
void progress_update(ntk_progress *progress, int64_t done);
void progress_finish(ntk_progress *progress);

#endif
