# Sources of src/predict/ (subfolders included), one file per line:
# a new .c file needs its line here.
ntk_module_sources(predict
  cg/cg_checkpoint.c
  cg/cg_matrix_free.c
  cg/cg_ops.c
  cg/cg_output.c
  cg/cg_preconditioner.c
  cg/cg_rows.c
  cg/cg_solve.c
  cg/cg_stored.c
  cholesky/cholesky_ops.c
  eigen/eigen_ops.c
  ensemble.c
  linear_registry.c
  linear_service.c
  predict_data.c
  predict_keys.c
  predict_math.c
  predict_output.c
  predict_stage.c
)
