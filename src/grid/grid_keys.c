/* The grid section's keys (grid/grid_config.h). */
#include "grid/grid_config.h"


static const ntk_config_key grid_keys[] = {
    {"block", NTK_KEY_INT, "64", NTK_KEY_AT_LEAST, 1, 0, NULL, "ScaLAPACK block size nb (clamped to M)"},
    {"shape", NTK_KEY_SHAPE, "auto", 0, 0, 0, NULL, "the BLACS process grid; auto: the most square with rows <= cols"},
};

const ntk_config_section grid_section =
    NTK_CONFIG_SECTION("grid", "the process grid Theta is assembled on", grid_keys);
