# Sources of src/output/ (subfolders included), one file per line:
# a new .c file needs its line here.
ntk_module_sources(output
  eigenvalues.c
  files.c
  layers.c
  learning_curve.c
  matrix_npy.c
  modes_csv.c
  output_keys.c
  summary.c
  svg.c
)
