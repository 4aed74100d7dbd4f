# Sources of src/plan/ (subfolders included), one file per line:
# a new .c file needs its line here.
ntk_module_sources(plan
  plan.c
  plan_cross.c
  plan_diagnostics.c
  plan_memory.c
  plan_print.c
  plan_time.c
)
