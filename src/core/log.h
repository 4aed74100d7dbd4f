/* Rank-0 logging and the phase timer that feeds summary.yaml.
 *
 * Only rank 0 prints (to stderr, so stdout stays for results a script reads).
 * Phases are named stages of the pipeline ("read inputs", "assemble theta",
 * "eigensolve", ...); each one's wall time is kept for the summary. */
#ifndef NTK_CORE_LOG_H
#define NTK_CORE_LOG_H

#include <stdio.h>

enum { NTK_MAX_PHASES = 32 };

typedef struct {
    int count;
    char name[NTK_MAX_PHASES][48];
    double seconds[NTK_MAX_PHASES];
} ntk_phase_times;

/* Call once after MPI_Init; `quiet` silences info lines (errors still print). */
void ntk_log_init(int rank, int quiet);
int ntk_log_rank(void);
int ntk_log_quiet(void); /* --quiet: info lines and progress are off */

/* Seconds since ntk_log_init. */
double ntk_elapsed(void);

/* "[   1.23 s] message" on rank 0. */
void ntk_log(const char *format, ...) __attribute__((format(printf, 1, 2)));
/* A warning line on rank 0, also shown when quiet. */
void ntk_warn(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Start/finish a phase: logs its name on start and its time on finish, and
 * records the time (phases of the same name add up). */
void ntk_phase_begin(const char *name);
void ntk_phase_end(void);
const ntk_phase_times *ntk_phases(void);
void ntk_phases_reset(void);

#endif
