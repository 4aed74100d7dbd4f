# Sources of src/model/ (subfolders included), one file per line:
# a new .c file needs its line here.
ntk_module_sources(model
  activations/activation_layer.c
  activations/erf.c
  activations/gaussian.c
  activations/gelu.c
  activations/identity.c
  activations/relu.c
  activations/tanh.c
  features.c
  jacobian_rows.c
  layers/block_products.c
  layers/conv.c
  layers/conv_geometry.c
  layers/conv_products.c
  layers/window_analytic.c
  layers/dense.c
  layers/flatten.c
  layers/per_input.c
  layers/pool.c
  layers/registry.c
  model.c
  model_keys.c
  weights.c
)
