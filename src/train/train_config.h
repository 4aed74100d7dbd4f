/* The training section's configuration. Its keys are described in
 * train/train_keys.c. */
#ifndef NTK_TRAIN_TRAIN_CONFIG_H
#define NTK_TRAIN_TRAIN_CONFIG_H

#include <stdint.h>

#include "core/config_keys.h"

typedef struct {
    int enabled;             /* the training key is present */
    int64_t steps;           /* default 1000 */
    double learning_rate;    /* default: dynamics.learning_rate */
    int64_t record_every;    /* default 10 */
    int kernel_after;        /* default false */
    int64_t kernel_every;    /* kernel_drift.csv every this many steps; 0 (default): none */
    int64_t mode_every;      /* training_modes.csv every this many steps; 0 (default): none */
    int64_t modes;           /* top modes tracked by mode_every; default 20 */
    int modes_given;         /* training.modes is in the job (the echo shows it then) */
} ntk_training_spec;

extern const ntk_config_section training_section;

#endif
