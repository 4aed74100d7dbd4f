/* The checkpoint section's keys (checkpoint/checkpoint_config.h). */
#include "checkpoint/checkpoint_config.h"


static const ntk_config_key checkpoint_keys[] = {
    {"every", NTK_KEY_DURATION, "0", NTK_KEY_AT_LEAST, 0, 0, NULL, "checkpoint interval; 0: only on SIGUSR1/SIGTERM",
     NTK_FIELD(ntk_checkpoint_spec, every_seconds)},
    {"dir", NTK_KEY_PATH, "<output.dir>/checkpoint", 0, 0, 0, NULL, "checkpoint folder",
     NTK_FIELD(ntk_checkpoint_spec, dir), .flags = NTK_KEY_DEFAULT_BY_RULE},
};

const ntk_config_section checkpoint_section =
    NTK_CONFIG_SECTION("checkpoint", "checkpoints of Theta's assembly", checkpoint_keys);
