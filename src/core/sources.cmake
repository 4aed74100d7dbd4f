# Sources of src/core/ (subfolders included), one file per line:
# a new .c file needs its line here.
ntk_module_sources(core
  blas_kernels.c
  blas_threads.c
  config_keys.c
  fixed_sgemm.c
  fixed_sgemm_avx2.c
  log.c
  memory.c
  mpi_startup.c
  mpi_sum.c
  node_memory.c
  partial_file.c
  progress.c
  quoted.c
  random.c
  signals.c
  status.c
  yaml_number.c
)
