# Sources of src/model/ (subfolders included), one file per line:
# a new .c file needs its line here.
ntk_module_sources(model
  activations/abs.c
  activations/activation_layer.c
  activations/elu.c
  activations/erf.c
  activations/gaussian.c
  activations/gelu.c
  activations/identity.c
  activations/leaky_relu.c
  activations/relu.c
  activations/sigmoid.c
  activations/silu.c
  activations/softplus.c
  activations/tanh.c
  features.c
  jacobian_rows.c
  layers/batch_norm.c
  layers/block_products.c
  layers/branch.c
  layers/conv.c
  layers/conv_geometry.c
  layers/conv_products.c
  layers/conv_single.c
  layers/dense.c
  layers/flatten.c
  layers/layer_norm.c
  layers/max_pool.c
  layers/normalisation.c
  layers/options.c
  layers/per_input.c
  layers/pool.c
  layers/registry.c
  layers/window_analytic.c
  model.c
  model_keys.c
  single_passes.c
  weights.c
)

# The infinite-width maps' hot loops (a conv net's analytic kernel spends
# its time there) and the conv layer's patch gathers and scatters (the
# empirical conv passes' time outside the GEMMs): GCC's vectoriser with its full cost model; sqrt without
# errno and comparisons that may not trap, so the loops with sqrt and
# selects vectorise (the values computed are the same); no contracted
# multiply-adds, so every clone of core/vector_clones.h computes the same bits.
if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
  set_source_files_properties(
    ${PROJECT_SOURCE_DIR}/src/model/layers/window_analytic.c
    ${PROJECT_SOURCE_DIR}/src/model/activations/relu.c
    ${PROJECT_SOURCE_DIR}/src/model/activations/activation_layer.c
    ${PROJECT_SOURCE_DIR}/src/model/layers/conv.c
    ${PROJECT_SOURCE_DIR}/src/model/layers/conv_single.c
    PROPERTIES COMPILE_OPTIONS "-ftree-vectorize;-fvect-cost-model=dynamic;-fno-math-errno;-fno-trapping-math;-ffp-contract=off")
endif()
