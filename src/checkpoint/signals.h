/* Stop requests for a long assembly: SIGUSR1 (Slurm's --signal=B:USR1@T before
 * the time limit) and SIGTERM (scancel, preemption) only set a flag here; the
 * checkpoint hook reads it at the next safe point, where all ranks agree.
 *
 * Testing aid: NTK_TEST_SIGNAL_AT_STEP=S makes the hook raise SIGUSR1 itself
 * on one rank (NTK_TEST_SIGNAL_RANK, default 0) right after step S, so tests
 * can interrupt at an exact step instead of racing a kill against the clock;
 * NTK_TEST_STEP_SECONDS=T makes every step T seconds longer, so a test that
 * sends a real signal with kill can land it mid-assembly on a small job. */
#ifndef NTK_CHECKPOINT_SIGNALS_H
#define NTK_CHECKPOINT_SIGNALS_H

#include <stdint.h>

#include "core/status.h"

/* Install the handlers (keeping the previous ones for restore). Rank-local. */
ntk_status checkpoint_signals_install(void);
/* Put back the handlers that were there before install, and forget a
 * received signal. */
void checkpoint_signals_restore(void);

/* The number of the last stop signal received on this rank, 0 when none. */
int checkpoint_signal_pending(void);
/* "SIGUSR1", "SIGTERM", or "signal N". */
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
