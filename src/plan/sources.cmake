# Sources of src/plan/, one file per line: a new .c file here needs its line.
ntk_module_sources(plan
  plan.c
  plan_cross.c
  plan_memory.c
  plan_print.c
)
