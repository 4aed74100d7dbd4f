/* The output section's keys (output/output_config.h). */
#include "output/output_config.h"

#include "output/file_names.h"


static const ntk_config_key output_keys[] = {
    {"dir", NTK_KEY_PATH, "ntkgram-out", 0, 0, 0, NULL, "output folder (--out sets it)",
     NTK_FIELD(ntk_output_spec, dir)},
    {"theta", NTK_KEY_BOOL, "false", 0, 0, 0, NULL, "write " OUTPUT_FILE_THETA,
     NTK_FIELD(ntk_output_spec, theta)},
    {"eigenvectors", NTK_KEY_BOOL, "spectrum.vectors", 0, 0, 0, NULL, "write " OUTPUT_FILE_EIGENVECTORS " (when eigenvectors are computed)",
     NTK_FIELD(ntk_output_spec, eigenvectors)},
    {"plot", NTK_KEY_BOOL, "true", 0, 0, 0, NULL, "write " OUTPUT_FILE_SPECTRUM_SVG,
     NTK_FIELD(ntk_output_spec, plot)},
    {"params", NTK_KEY_BOOL, "false", 0, 0, 0, NULL, "write " OUTPUT_FILE_PARAMS,
     NTK_FIELD(ntk_output_spec, params)},
    {"test_theta", NTK_KEY_BOOL, "false", 0, 0, 0, NULL, "write " OUTPUT_FILE_TEST_THETA ", the cross kernel (needs data.test_inputs)",
     NTK_FIELD(ntk_output_spec, test_theta)},
    {"theta_layers", NTK_KEY_BOOL, "false", 0, 0, 0, NULL, "write " OUTPUT_FILE_THETA_LAYERS ", each layer's kernel Theta_l (needs diagnostics.per_layer)",
     NTK_FIELD(ntk_output_spec, theta_layers), .flags = NTK_KEY_ECHO_IF_SET},
};

const ntk_config_section output_section =
    NTK_CONFIG_SECTION("output", "where results go and which optional files are written", output_keys);
