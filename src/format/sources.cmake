# Sources of src/format/ (subfolders included), one file per line:
# a new .c file needs its line here.
ntk_module_sources(format
  npy.c
  npy_dict.c
  safetensors.c
)
