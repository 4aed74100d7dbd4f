# Sources of src/diagnostics/, one file per line: a new .c file needs its line here.
ntk_module_sources(diagnostics
  alignment.c
  checks.c
  statistics.c
  diagnostics_keys.c
  learning_curve_measured.c
  learning_curve_theory.c
  local_index.c
)
