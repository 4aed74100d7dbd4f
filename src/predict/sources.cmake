# Sources of src/predict/ (subfolders included), one file per line:
# a new .c file needs its line here.
ntk_module_sources(predict
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
