/* Activation names for messages and outputs. */
#include "job/job.h"
#include "model/layer.h"

/* The activations' one name table is the layer registry's (model/layer.h). */
const char *job_activation_name(ntk_activation act) { return ntk_activation_name(act); }
