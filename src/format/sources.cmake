# Sources of src/format/, one file per line: a new .c file here needs its line.
ntk_module_sources(format
  npy.c
  npy_dict.c
  safetensors.c
)
