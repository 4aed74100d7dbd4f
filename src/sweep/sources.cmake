# Sources of src/sweep/, one file per line: a new .c file here needs its line.
ntk_module_sources(sweep
  identity.c
  point.c
  sweep.c
  table.c
)
