# Sources of src/diagnostics/, one file per line: a new .c file needs its line here.
ntk_module_sources(diagnostics
  alignment.c
  checks.c
  diagnostics_keys.c
  kernel_moments.c
  lambda_max.c
  layer_table.c
  learning_curve_measured.c
  learning_curve_theory.c
  local_index.c
  statistics.c
)
