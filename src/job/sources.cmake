# Sources of src/job/ (subfolders included), one file per line:
# a new .c file needs its line here.
ntk_module_sources(job
  job_activation_name.c
  job_echo.c
  job_keys.c
  job_layers.c
  job_load.c
  job_location.c
  job_overrides.c
  job_read.c
  job_rules.c
  job_rules_diagnostics.c
  job_rules_precision.c
  job_sections_data.c
  job_sweep.c
  job_table.c
  job_tree.c
)
