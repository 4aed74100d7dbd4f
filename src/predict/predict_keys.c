/* The predict section's keys (predict/predict_config.h). */
#include "predict/predict_config.h"


static const ntk_config_key predict_keys[] = {
    {"steps", NTK_KEY_STEPS, "dynamics.steps", 0, 0, 0, NULL, "steps t at which to predict, in the order given",
     NTK_FIELD_PAIR(ntk_predict_spec, steps, n_steps)},
    {"infinite", NTK_KEY_BOOL, "true", 0, 0, 0, NULL, "also predict at t = infinity (kernel regression)",
     NTK_FIELD(ntk_predict_spec, infinite)},
    {"ridge", NTK_KEY_NUMBER, "0", NTK_KEY_AT_LEAST, 0, 0, NULL, "at t = infinity each kept mode's 1/lambda becomes 1/(lambda + ridge)",
     NTK_FIELD(ntk_predict_spec, ridge)},
    {"cutoff", NTK_KEY_NUMBER, "1.0e-10", NTK_KEY_AT_LEAST | NTK_KEY_BELOW, 0, 1, NULL, "modes with lambda <= cutoff lambda_max are left out",
     NTK_FIELD(ntk_predict_spec, cutoff), .note = "a fraction of the largest eigenvalue"},
};

const ntk_config_section predict_section =
    NTK_CONFIG_SECTION("predict", "the linearised network's outputs on data.test_inputs (present = on)", predict_keys);
