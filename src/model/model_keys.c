/* The model section's keys (model/model_config.h). */
#include "model/model_config.h"

static const ntk_choice parameterization_entries[] = {
    {"ntk", NTK_PARAM_NTK},
    {"standard", NTK_PARAM_STANDARD},
};
const ntk_choice_table model_parameterization_names = NTK_CHOICE_TABLE(parameterization_entries);

static const ntk_config_key model_keys[] = {
    {"layers", NTK_KEY_LAYERS, "required", 0, 0, 0, NULL, "the layers in order: {dense: WIDTH}, {conv: {channels, kernel, stride, padding, bias}}, {avg_pool: WINDOW}, {max_pool: WINDOW}, global_avg_pool, flatten and activations (relu, erf, tanh, gelu, identity, sigmoid, softplus, silu, leaky_relu or {leaky_relu: SLOPE}, elu or {elu: ALPHA}, abs)",
     NTK_FIELD(ntk_model_spec, layers), .flags = NTK_KEY_HASH},
    {"parameterization", NTK_KEY_CHOICE, "ntk", 0, 0, 0, &model_parameterization_names, "ntk: N(0,1) parameters scaled by w_std/sqrt(fan_in) and b_std in the forward pass; standard: torch.nn.Linear's scaling",
     NTK_FIELD(ntk_model_spec, parameterization), .flags = NTK_KEY_HASH | NTK_KEY_HASH_VALUE,
     .note = "parameterization"},
    {"w_std", NTK_KEY_NUMBER, "1.0", NTK_KEY_ABOVE, 0, 0, NULL, "weight standard deviation sigma_w (a normal double)",
     NTK_FIELD(ntk_model_spec, w_std), .flags = NTK_KEY_HASH},
    {"b_std", NTK_KEY_NUMBER, "0.0", NTK_KEY_AT_LEAST, 0, 0, NULL, "bias standard deviation sigma_b; 0 means no bias parameters",
     NTK_FIELD(ntk_model_spec, b_std), .flags = NTK_KEY_HASH},
    {"seed", NTK_KEY_INT, "0", NTK_KEY_AT_LEAST, 0, 0, NULL, "seed of the parameters",
     NTK_FIELD(ntk_model_spec, seed), .flags = NTK_KEY_HASH},
    {"weights", NTK_KEY_PATH, "none", 0, 0, 0, NULL, "a .safetensors file of the layers' weights and biases (and BatchNorm's running statistics) in torch layout, instead of drawing them",
     NTK_FIELD(ntk_model_spec, weights_path),
     .flags = NTK_KEY_HASH | NTK_KEY_BESIDE_JOB | NTK_KEY_ECHO_IF_SET},
};

const ntk_config_section model_section =
    NTK_CONFIG_SECTION("model", "the network and how its parameters are drawn or read", model_keys);
