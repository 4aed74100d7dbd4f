/* The predict section's configuration: the linearised network's outputs on
 * held-out inputs. Its keys are described in predict/predict_keys.c. */
#ifndef NTK_PREDICT_PREDICT_CONFIG_H
#define NTK_PREDICT_PREDICT_CONFIG_H

#include <stdint.h>

#include "checkpoint/checkpoint_config.h"
#include "core/location.h"
#include "data/data_config.h"
#include "kernel/kernel_config.h"
#include "output/output_config.h"
#include "train/train_config.h"
#include "spectrum/spectrum_config.h"
#include "core/config_keys.h"


/* predict: the linearised network's outputs on data.test_inputs under
 * gradient flow (src/predict/predict.h). */
typedef struct {
    int enabled;                   /* the predict key is present */
    int n_steps;
    int64_t steps[NTK_MAX_STEPS];  /* default: dynamics.steps */
    int infinite;                  /* also t = infinity (kernel regression); default true */
    double ridge;                  /* t = infinity uses 1/(lambda + ridge); default 0 */
    double cutoff;                 /* modes with lambda <= cutoff lambda_max are left out; default 1e-10 */
    ntk_location where;            /* the predict key */
} ntk_predict_spec;

/* What the held-out stage reads of the configuration (job_predict_config,
 * job/job.h): its pointers are into one job. */
typedef struct {
    const ntk_predict_spec *predict;        /* the predict section */
    const ntk_data_source *inputs;          /* data.inputs */
    const ntk_data_source *test_inputs;     /* data.test_inputs */
    const ntk_data_source *test_targets;    /* data.test_targets */
    ntk_kernel_config kernel;               /* the cross kernel's assembly */
    const ntk_output_spec *output;          /* output.dir, test_theta, plot */
    const ntk_checkpoint_spec *checkpoint;  /* the cross kernel's checkpoint */
    uint64_t job_hash;                      /* job_hash of the run, for that checkpoint */
    double learning_rate;                   /* dynamics.learning_rate */
    const ntk_training_spec *training;      /* training with predict: the held-out loss */
} ntk_predict_config;

extern const ntk_config_section predict_section;

#endif
