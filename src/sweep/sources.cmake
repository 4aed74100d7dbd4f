# Sources of src/sweep/ (subfolders included), one file per line:
# a new .c file needs its line here.
ntk_module_sources(sweep
  identity.c
  point.c
  sweep.c
  table.c
)
