# Sources of src/cli/ other than main.c (the program's entry point, which is
# not part of the library), one file per line.
ntk_module_sources(cli
  cmd_help_keys.c
  cmd_plan.c
  cmd_run.c
  cmd_validate.c
  options.c
)
