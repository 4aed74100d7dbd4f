/* What `ntkgram plan` and the run's memory plan read of the configuration:
 * the sections that size the run, and the job file's path and name for
 * messages. The job reader gives it (job_plan_config, job/job.h); its
 * pointers are into one job, which outlives the plan. */
#ifndef NTK_PLAN_PLAN_CONFIG_H
#define NTK_PLAN_PLAN_CONFIG_H

#include "data/data_config.h"
#include "diagnostics/diagnostics_config.h"
#include "grid/grid_config.h"
#include "kernel/kernel_config.h"
#include "model/model_config.h"
#include "output/output_config.h"
#include "predict/predict_config.h"
#include "spectrum/spectrum_config.h"
#include "train/train_config.h"

typedef struct {
    const char *path;                     /* the job file, for messages; NULL: no job */
    const char *name;                     /* the job's name */
    const ntk_data_source *targets;       /* data.targets */
    const ntk_data_source *test_inputs;   /* data.test_inputs */
    const ntk_model_spec *model;
    const ntk_kernel_spec *kernel;
    const ntk_grid_spec *grid;
    const ntk_spectrum_spec *spectrum;
    const ntk_output_spec *output;
    const ntk_predict_spec *predict;
    const ntk_training_spec *training;
    const ntk_diagnostics_spec *diagnostics; /* NULL: none (a plan built in code) */
} ntk_plan_config;

#endif
