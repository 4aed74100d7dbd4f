# Sources of src/train/, one file per line: a new .c file here needs its line.
ntk_module_sources(train
  gradient.c
  kernel_change.c
  prediction.c
  train.c
)
