/* The stop-after-step assembly hook (see assembly_stop.h). */
#include "kernel/assembly_stop.h"

#include <stdio.h>

#include "core/signals.h"

ntk_status checkpoint_stop_after_step(void *context, ntk_dmatrix *theta, int64_t steps_done,
                                      int64_t steps_total)
{
    (void)theta;
    const ntk_stop_hook *hook = context;
    char where[160];
    snprintf(where, sizeof where, "during %s (after step %lld of %lld)", hook->phase,
             (long long)steps_done, (long long)steps_total);
    return checkpoint_stop_point(hook->comm, where, NULL);
}
