/* The output section's keys (output/output_config.h). */
#include "output/output_config.h"


static const ntk_config_key output_keys[] = {
    {"dir", NTK_KEY_PATH, "ntkgram-out", 0, 0, 0, NULL, "output folder (--out sets it)"},
    {"theta", NTK_KEY_BOOL, "false", 0, 0, 0, NULL, "write theta.npy"},
    {"eigenvectors", NTK_KEY_BOOL, "true", 0, 0, 0, NULL, "write eigenvectors.npy (when eigenvectors are computed)"},
    {"plot", NTK_KEY_BOOL, "true", 0, 0, 0, NULL, "write spectrum.svg"},
    {"params", NTK_KEY_BOOL, "false", 0, 0, 0, NULL, "write params.safetensors"},
    {"test_theta", NTK_KEY_BOOL, "false", 0, 0, 0, NULL, "write test_theta.npy, the cross kernel (needs data.test_inputs)"},
};

const ntk_config_section output_section =
    NTK_CONFIG_SECTION("output", "where results go and which optional files are written", output_keys);
