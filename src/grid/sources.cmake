# Sources of src/grid/ (subfolders included), one file per line:
# a new .c file needs its line here.
ntk_module_sources(grid
  dmatrix.c
  dmatrix_distance.c
  grid.c
  grid_keys.c
  indexing.c
  scalapack_errors.c
  smatrix.c
)
