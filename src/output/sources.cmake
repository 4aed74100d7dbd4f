# Sources of src/output/, one file per line: a new .c file here needs its line.
ntk_module_sources(output
  eigenvalues.c
  files.c
  matrix_npy.c
  modes_csv.c
  summary.c
  svg.c
)
