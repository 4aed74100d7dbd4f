/* The checkpoint section's keys (checkpoint/checkpoint_config.h). */
#include "checkpoint/checkpoint_config.h"


static const ntk_config_key checkpoint_keys[] = {
    {"every", NTK_KEY_DURATION, "0", NTK_KEY_AT_LEAST, 0, 0, NULL, "checkpoint interval; 0: only on SIGUSR1/SIGTERM"},
    {"dir", NTK_KEY_PATH, "<output.dir>/checkpoint", 0, 0, 0, NULL, "checkpoint folder"},
};

const ntk_config_section checkpoint_section =
    NTK_CONFIG_SECTION("checkpoint", "checkpoints of Theta's assembly", checkpoint_keys);
