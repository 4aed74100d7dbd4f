# Sources of src/data/, one file per line: a new .c file here needs its line.
ntk_module_sources(data
  csv_source.c
  data.c
  npy_source.c
  synthetic.c
)
