/* The training section's keys (train/train_config.h). */
#include "train/train_config.h"

#include <stddef.h>

#include "output/file_names.h"


static const ntk_config_key training_keys[] = {
    {"steps", NTK_KEY_INT, "1000", NTK_KEY_AT_LEAST, 1, 0, NULL, "gradient-descent steps",
     NTK_FIELD(ntk_training_spec, steps)},
    {"learning_rate", NTK_KEY_NUMBER, "dynamics.learning_rate", NTK_KEY_ABOVE, 0, 0, NULL, "learning rate of the real training",
     NTK_FIELD(ntk_training_spec, learning_rate)},
    {"record_every", NTK_KEY_INT, "10", NTK_KEY_AT_LEAST, 1, 0, NULL, "record the loss every this many steps",
     NTK_FIELD(ntk_training_spec, record_every)},
    {"kernel_after", NTK_KEY_BOOL, "false", 0, 0, 0, NULL, "recompute the NTK after training and report its relative change",
     NTK_FIELD(ntk_training_spec, kernel_after)},
    {"kernel_every", NTK_KEY_INT, "none", NTK_KEY_AT_LEAST, 1, 0, NULL, "empirical NTK of the trained network every this many steps: " OUTPUT_FILE_KERNEL_DRIFT ", " OUTPUT_FILE_KERNEL_DRIFT_SVG,
     NTK_FIELD(ntk_training_spec, kernel_every), .flags = NTK_KEY_ECHO_IF_SET},
    {"mode_every", NTK_KEY_INT, "none", NTK_KEY_AT_LEAST, 1, 0, NULL, "residual on the top eigenvectors of Theta_0 every this many steps: " OUTPUT_FILE_TRAINING_MODES ", " OUTPUT_FILE_TRAINING_MODES_SVG " (needs eigenvectors)",
     NTK_FIELD(ntk_training_spec, mode_every), .flags = NTK_KEY_ECHO_IF_SET},
    {"modes", NTK_KEY_INT, "20", NTK_KEY_AT_LEAST, 1, 0, NULL, "top modes training.mode_every records",
     NTK_FIELD(ntk_training_spec, modes), .flags = NTK_KEY_ECHO_IF_GIVEN,
     .given_offset = offsetof(ntk_training_spec, modes_given)},
};

const ntk_config_section training_section =
    NTK_CONFIG_SECTION("training", "train the real network by full-batch gradient descent (present = on)", training_keys);
