/* The data section's keys (data/data_config.h). */
#include "data/data_config.h"

/* Inputs take gaussian and sphere, targets gaussian and sine (the reader
 * passes which ones through its `allowed` mask). */
static const ntk_choice synthetic_entries[] = {
    {"gaussian", NTK_SYNTH_GAUSSIAN},
    {"sphere", NTK_SYNTH_SPHERE},
    {"sine", NTK_SYNTH_SINE},
};
const ntk_choice_table data_synthetic_names = NTK_CHOICE_TABLE(synthetic_entries);

static const ntk_config_key data_keys[] = {
    {"inputs", NTK_KEY_SOURCE, "required", 0, 0, 0, NULL, "input points (N, d), images (N, H, W, C) or sequences (N, L, C): a .npy/.csv file or {synthetic: gaussian|sphere, n, dim or shape, seed}",
     NTK_FIELD(ntk_data_spec, inputs), .flags = NTK_KEY_HASH},
    {"targets", NTK_KEY_TARGETS, "none", 0, 0, 0, NULL, "training targets (N) or (N, k): a .npy/.csv file or {synthetic: gaussian|sine, seed}",
     NTK_FIELD(ntk_data_spec, targets)},
    {"test_inputs", NTK_KEY_SOURCE, "none", 0, 0, 0, NULL, "held-out points of the inputs' dimension, same formats as data.inputs",
     NTK_FIELD(ntk_data_spec, test_inputs)},
    {"test_targets", NTK_KEY_TARGETS, "none", 0, 0, 0, NULL, "held-out targets, same formats as data.targets (class labels 0..k-1 read as one-hot rows)",
     NTK_FIELD(ntk_data_spec, test_targets)},
};

const ntk_config_section data_section =
    NTK_CONFIG_SECTION("data", "the input points, training targets and held-out points", data_keys);
