# Sources of src/train/ (subfolders included), one file per line:
# a new .c file needs its line here.
ntk_module_sources(train
  gradient.c
  kernel_change.c
  prediction.c
  train.c
  train_keys.c
)
