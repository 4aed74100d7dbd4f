# Sources of src/data/ (subfolders included), one file per line:
# a new .c file needs its line here.
ntk_module_sources(data
  csv_source.c
  data.c
  data_keys.c
  npy_source.c
  synthetic.c
)
