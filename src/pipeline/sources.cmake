# Sources of src/pipeline/, one file per line: a new .c file here needs its line.
ntk_module_sources(pipeline
  compare.c
  inputs.c
  pipeline.c
  preflight.c
  run_files.c
)
