# Sources of src/pipeline/ (subfolders included), one file per line:
# a new .c file needs its line here.
ntk_module_sources(pipeline
  compare.c
  compare_weights.c
  diagnostics_stage.c
  inputs.c
  layer_kernels.c
  pipeline.c
  preflight.c
  run_files.c
)
