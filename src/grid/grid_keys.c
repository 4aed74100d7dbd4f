/* The grid section's keys (grid/grid_config.h). */
#include "grid/grid_config.h"


static const ntk_choice shape_entries[] = {{"auto", 0}};
static const ntk_choice_table grid_shape_names = NTK_CHOICE_TABLE(shape_entries);

static const ntk_config_key grid_keys[] = {
    {"block", NTK_KEY_INT, NTK_DEFAULT_TEXT(NTK_DEFAULT_BLOCK), NTK_KEY_AT_LEAST, 1, 0, NULL, "ScaLAPACK block size nb (clamped to M)",
     NTK_FIELD(ntk_grid_spec, block), .flags = NTK_KEY_HASH},
    {"shape", NTK_KEY_SHAPE, "auto", 0, 0, 0, &grid_shape_names, "the BLACS process grid; auto: the most square with rows <= cols",
     NTK_FIELD_PAIR(ntk_grid_spec, rows, cols), .flags = NTK_KEY_HASH},
};

const ntk_config_section grid_section =
    NTK_CONFIG_SECTION("grid", "the process grid Theta is assembled on", grid_keys);
