# Sources of src/train/ (subfolders included), one file per line:
# a new .c file needs its line here.
ntk_module_sources(train
  gradient.c
  kernel_change.c
  kernel_drift.c
  mode_tracking.c
  prediction.c
  train.c
  train_keys.c
)
