# Sources of src/model/ (subfolders included), one file per line:
# a new .c file needs its line here.
ntk_module_sources(model
  features.c
  jacobian_rows.c
  layers/activation.c
  layers/conv.c
  layers/conv_geometry.c
  layers/conv_products.c
  layers/dense.c
  layers/flatten.c
  layers/per_input.c
  layers/pool.c
  layers/registry.c
  model.c
  weights.c
)
