# Sources of src/spectrum/ (subfolders included), one file per line:
# a new .c file needs its line here.
ntk_module_sources(spectrum
  back_transform.c
  bulge_chase.c
  elpa_solver.c
  gather_lapack.c
  layout.c
  matrix_free_check.c
  matrix_free_operator.c
  matrix_free_parpack.c
  matrix_free_vectors.c
  modes.c
  node_eigen.c
  node_transfer.c
  scaling.c
  site.c
  solve.c
  tridiagonal_split.c
  verify.c
  verify_probes.c
  verify_values.c
  workspace.c
)
