/* The predict section's configuration: the linearised network's outputs on
 * held-out inputs. Its keys are described in predict/predict_keys.c. */
#ifndef NTK_PREDICT_PREDICT_CONFIG_H
#define NTK_PREDICT_PREDICT_CONFIG_H

#include <stdint.h>

#include "core/location.h"
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

extern const ntk_config_section predict_section;

#endif
