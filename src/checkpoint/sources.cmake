# Sources of src/checkpoint/, one file per line: a new .c file here needs its line.
ntk_module_sources(checkpoint
  checkpoint.c
  checkpoint_file.c
  signals.c
)
