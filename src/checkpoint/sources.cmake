# Sources of src/checkpoint/ (subfolders included), one file per line:
# a new .c file needs its line here.
ntk_module_sources(checkpoint
  checkpoint.c
  checkpoint_file.c
  checkpoint_keys.c
  checkpoint_pieces.c
)
