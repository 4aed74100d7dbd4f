/* The checkpoint section's configuration. Its keys are described in
 * checkpoint/checkpoint_keys.c. */
#ifndef NTK_CHECKPOINT_CHECKPOINT_CONFIG_H
#define NTK_CHECKPOINT_CHECKPOINT_CONFIG_H

#include "core/location.h"
#include "core/config_keys.h"

typedef struct {
    double every_seconds;    /* checkpoint.every; 0 = only on a signal (default) */
    char dir[NTK_PATH_MAX];  /* default <output.dir>/checkpoint */
} ntk_checkpoint_spec;

extern const ntk_config_section checkpoint_section;

#endif
