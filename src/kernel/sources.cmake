# Sources of src/kernel/ (subfolders included), one file per line:
# a new .c file needs its line here.
ntk_module_sources(kernel
  analytic_assemble.c
  analytic_expectation.c
  analytic_pair.c
  analytic_quadrature.c
  analytic_spatial.c
  assembly_stop.c
  cross.c
  exchange.c
  jacobian.c
  kernel.c
  kernel_keys.c
  kernel_local.c
  precision_error.c
  structured.c
  structured_features.c
  structured_layout.c
  structured_mixed.c
  structured_tiles.c
)

# The infinite-width recursion's input covariance loop: vectorised, and with
# no contracted multiply-adds, so every clone computes the same bits (as the
# maps of src/model/sources.cmake).
if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
  set_source_files_properties(
    ${PROJECT_SOURCE_DIR}/src/kernel/analytic_spatial.c
    PROPERTIES COMPILE_OPTIONS "-ftree-vectorize;-fvect-cost-model=dynamic;-ffp-contract=off")
endif()
