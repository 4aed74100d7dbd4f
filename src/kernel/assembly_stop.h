/* A kernel assembly hook that stops at a safe point after every step, for
 * assemblies that keep no checkpoint (core/signals.h has the collective
 * safe point it calls). */
#ifndef NTK_KERNEL_ASSEMBLY_STOP_H
#define NTK_KERNEL_ASSEMBLY_STOP_H

#include <stdint.h>

#include <mpi.h>

#include "core/status.h"
#include "grid/grid.h"

/* An assembly hook (kernel.h, after_step) that is a stop point after every
 * step, for assemblies that keep no checkpoint: the analytic comparison and
 * training.kernel_after. `context` is an ntk_stop_hook; the message reads
 * "interrupted by signal SIGTERM during <phase> (after step 3 of 10); ...". */
typedef struct {
    MPI_Comm comm;
    const char *phase;
} ntk_stop_hook;
ntk_status checkpoint_stop_after_step(void *context, ntk_dmatrix *theta, int64_t steps_done,
                                      int64_t steps_total);

#endif
