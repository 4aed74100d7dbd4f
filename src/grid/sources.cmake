# Sources of src/grid/, one file per line: a new .c file here needs its line.
ntk_module_sources(grid
  dmatrix.c
  dmatrix_distance.c
  grid.c
  indexing.c
  scalapack_errors.c
)
