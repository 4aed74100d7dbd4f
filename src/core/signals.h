/* Stop requests: SIGUSR1 (Slurm's --signal=B:USR1@T before the time limit),
 * SIGTERM (scancel, preemption) and SIGINT (Ctrl-C) only set a flag here.
 * main() installs the handlers before MPI_Init, so a signal in any phase is
 * recorded, never fatal. Every phase reads the flag at its safe points, where
 * all ranks agree on it collectively:
 *   - the assembly, after every step (checkpoint.c: writes a checkpoint, so a
 *     rerun resumes);
 *   - everywhere else (reading, eigensolve, training steps, writing, between
 *     sweep points) through checkpoint_stop_point, which ends the run with
 *     NTK_ERR_INTERRUPTED and a message naming the signal and the phase.
 * The flag stays set until the process ends, so a signal that arrives after
 * one sweep point's last safe point stops the sweep at the next point.
 * NTK_STOP_SIGNAL=USR1 or TERM in the environment sets it at install, as if
 * that signal had arrived (slurm/ntkgram.sbatch: a warning that came before
 * the job step started).
 *
 * Testing aid: NTK_TEST_SIGNAL_AT_STEP=S makes the hook raise SIGUSR1 itself
 * on one rank (NTK_TEST_SIGNAL_RANK, default 0) right after step S, so tests
 * can interrupt at an exact step instead of racing a kill against the clock;
 * NTK_TEST_STEP_SECONDS=T makes every step T seconds longer, so a test that
 * sends a real signal with kill can land it mid-assembly on a small job;
 * NTK_TEST_PAUSE_AT=TEXT with NTK_TEST_PAUSE_SECONDS=T makes every stop point
 * whose description contains TEXT (e.g. "before the assembly") wait up to T
 * seconds before it checks (printing "ntkgram: test pause <description>" on
 * stderr first), so a test can signal a run in that phase. */
#ifndef NTK_CORE_SIGNALS_H
#define NTK_CORE_SIGNALS_H

#include <stdint.h>

#include <mpi.h>

#include "core/status.h"

/* Install the handlers (keeping the previous ones for restore). Rank-local;
 * calling it again is harmless. */
ntk_status checkpoint_signals_install(void);
/* Put back the handlers that were there before install, and forget a
 * received signal (for tests that raise signals themselves). */
void checkpoint_signals_restore(void);

/* A safe point outside the assembly. Collective over `comm`: every rank must
 * call it at the same place. When any rank has received a stop signal, every
 * rank returns NTK_ERR_INTERRUPTED with the message
 *   "interrupted by signal SIGTERM <where>; <advice>"
 * where `advice` defaults to "no checkpoint for this phase: rerun the same
 * command to start over". */
ntk_status checkpoint_stop_point(MPI_Comm comm, const char *where, const char *advice);

/* The number of the last stop signal received on this rank, 0 when none. */
int checkpoint_signal_pending(void);
/* The NTK_TEST_PAUSE_AT testing aid for a safe point described by `where`
 * (checkpoint_stop_point calls it; so does checkpoint.c). */
void checkpoint_test_pause(const char *where);

/* "SIGUSR1", "SIGTERM", "SIGINT", or "signal N". */
const char *checkpoint_signal_name(int signal_number);

/* The testing aids' configuration from the environment: step -1 and
 * step_seconds 0 when unset. */
typedef struct {
    int64_t step;
    int rank;
    double step_seconds;
} ntk_signal_test;
ntk_status checkpoint_signal_test_from_env(ntk_signal_test *test);

#endif
