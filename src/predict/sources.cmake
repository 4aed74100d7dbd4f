# Sources of src/predict/, one file per line: a new .c file here needs its line.
ntk_module_sources(predict
  predict_data.c
  predict_math.c
  predict_output.c
  predict_stage.c
)
