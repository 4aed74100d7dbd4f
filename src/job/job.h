/* The job: everything a run needs, parsed and validated from a YAML job file.
 *
 * job_load() reads the file with libyaml, applies `--set key.path=value`
 * overrides (and sweep points, which are overrides too), fills defaults and
 * validates every key. Any problem is one NTK_ERR_JOB line naming
 * file:line:column and the key path, e.g.
 *   jobs/demo.yaml:7:12: model.layers[2]: unknown activation 'rleu' (expected relu, erf, tanh, gelu, identity)
 * Overrides that are wrong name "--set" instead of a file position.
 *
 * Relative data/weights paths are resolved against the job file's folder;
 * output.dir is relative to the working directory (where results are wanted).
 */
#ifndef NTK_JOB_JOB_H
#define NTK_JOB_JOB_H

#include <stdint.h>
#include <stdio.h>

#include "checkpoint/checkpoint_config.h"
#include "core/location.h"
#include "core/status.h"
#include "data/data_config.h"
#include "diagnostics/diagnostics_config.h"
#include "grid/grid_config.h"
#include "core/config_keys.h"
#include "kernel/kernel_config.h"
#include "model/model_config.h"
#include "output/output_config.h"
#include "plan/plan_config.h"
#include "predict/predict_config.h"
#include "spectrum/spectrum_config.h"
#include "train/train_config.h"

enum {
    NTK_MAX_OVERRIDES = 64, /* --set options plus sweep keys */
    NTK_MAX_SWEEP_KEYS = 8,
    NTK_MAX_SWEEP_VALUES = 64,
    /* job_load takes the --set options, --out and one value per sweep key */
    NTK_MAX_JOB_OVERRIDES = NTK_MAX_OVERRIDES + 1 + NTK_MAX_SWEEP_KEYS
};

/* One `key.path=value` assignment (from --set or a sweep point). The value is
 * YAML text: a scalar, or a flow sequence/mapping such as [1, 2]. */
typedef struct {
    char key[256];
    char value[1024];
    int line, column; /* a sweep value's place in the job file (its messages point
                       * there); 0 for --set */
} ntk_override;

/* An override as the job applied it. Like locations, the texts are shared
 * for the life of the process (job/job_location.c), so copies stay valid. */
typedef struct {
    const char *key, *value;
} ntk_applied_override;

/* bytes, with the NUL; a value may be a whole list (model.layers) in flow
 * style, and must fit an override's value */
enum { NTK_SWEEP_KEY_MAX = 256, NTK_SWEEP_VALUE_MAX = 1024 };

/* Keys vary along axes: each key of `sweep:` is an axis of its own, and the
 * keys of `sweep.zip` share one axis (they vary together, value i of each
 * at once). Keys of one axis are consecutive; the points are the product of
 * the axes in the order they appear, the last fastest. */
typedef struct {
    int n_keys;
    const char *key[NTK_MAX_SWEEP_KEYS];     /* shared texts, as ntk_applied_override */
    int axis[NTK_MAX_SWEEP_KEYS];            /* the axis of each key, 0 .. n_axes - 1 */
    int zipped[NTK_MAX_SWEEP_KEYS];          /* the key came from sweep.zip */
    int n_axes;
    int n_values[NTK_MAX_SWEEP_KEYS];
    const char *value[NTK_MAX_SWEEP_KEYS][NTK_MAX_SWEEP_VALUES]; /* YAML text of each value */
    int value_line[NTK_MAX_SWEEP_KEYS][NTK_MAX_SWEEP_VALUES];   /* where each value stands */
    int value_column[NTK_MAX_SWEEP_KEYS][NTK_MAX_SWEEP_VALUES];
    ntk_location where;
} ntk_sweep_spec;

typedef struct {
    char path[NTK_PATH_MAX];   /* the job file as given */
    char name[256];            /* `name:`; default: the file name without .yaml */
    /* The data section: as one struct (`data`, what its key table fills) and
     * by its sources' names (job->inputs), the same memory. */
    union {
        ntk_data_spec data;
        struct {
            ntk_data_source inputs;
            ntk_data_source targets;      /* kind NONE when absent */
            ntk_data_source test_inputs;  /* data.test_inputs; kind NONE when absent */
            ntk_data_source test_targets; /* data.test_targets; kind NONE when absent */
        };
    };
    ntk_model_spec model;
    ntk_kernel_spec kernel;
    ntk_grid_spec grid;
    ntk_spectrum_spec spectrum;
    ntk_dynamics_spec dynamics;
    ntk_output_spec output;
    ntk_training_spec training;
    ntk_predict_spec predict;
    ntk_checkpoint_spec checkpoint;
    ntk_diagnostics_spec diagnostics;
    ntk_sweep_spec sweep;      /* n_keys == 0 when the job has no sweep */
    int n_overrides;
    ntk_applied_override overrides[NTK_MAX_JOB_OVERRIDES]; /* as applied */
} ntk_job;

/* Parse, override, default and validate. At most NTK_MAX_JOB_OVERRIDES
 * overrides, applied in order (a later one wins). Rank-local (no MPI): every rank
 * calls it and gets the same result; callers agree on the status. */
ntk_status job_load(const char *path, const ntk_override *overrides, int n_overrides,
                    ntk_job *job);

/* Parse "key.path=value" (as given to --set) into an override. */
ntk_status job_parse_override(const char *text, ntk_override *out);

/* An override that sets `key` to the string `text` whatever it looks like
 * (a folder named "true" or "123" stays a string): a double-quoted YAML
 * scalar. NTK_ERR_USAGE when it does not fit. */
ntk_status job_string_override(const char *key, const char *text, ntk_override *out);

/* Open the job file `path` for reading: a missing, unreadable or folder path
 * raises `code` as "PATH: cannot read job file: REASON" (NTK_ERR_JOB for the
 * loader; NTK_ERR_USAGE for the command line's check before anything is read). */
ntk_status job_file_open(const char *path, ntk_status code, FILE **file);

/* Write the effective job (defaults filled in) as YAML, indented by `indent`
 * spaces, for summary.yaml. */
void job_echo_yaml(const ntk_job *job, FILE *out, int indent);

/* The same echo as text in `*text` (free it), for modules that write it
 * without reading the job (output_write_summary). */
ntk_status job_echo_text(const ntk_job *job, int indent, char **text);

/* `text` as a YAML double-quoted scalar: safe for any text (a folder named
 * "true", "123" or "a: b" stays a string). For the echo and other YAML output. */
void job_write_yaml_string(FILE *out, const char *text);


/* Stable 64-bit hash of everything that determines Theta (data, model, kernel,
 * grid), for checkpoints: a checkpoint from another job is refused. */
uint64_t job_hash(const ntk_job *job);

/* What the kernel assembly reads of the job (kernel/kernel_config.h); its
 * pointers are into `job`. */
static inline ntk_kernel_config job_kernel_config(const ntk_job *job)
{
    const ntk_kernel_config config = {&job->kernel, &job->model, job->output.theta, 0};
    return config;
}

/* What the held-out stage reads of the job (predict/predict_config.h); its
 * pointers are into `job`. */
static inline ntk_predict_config job_predict_config(const ntk_job *job)
{
    const ntk_predict_config config = {&job->predict,     &job->inputs,
                                       &job->test_inputs, &job->test_targets,
                                       job_kernel_config(job), &job->output,
                                       &job->checkpoint,  job_hash(job),
                                       job->dynamics.learning_rate, &job->training};
    return config;
}

/* What the plan reads of the job (plan/plan_config.h); its pointers are
 * into `job`. */
static inline ntk_plan_config job_plan_config(const ntk_job *job)
{
    const ntk_plan_config config = {job->path,     job->name,        &job->targets,
                                    &job->test_inputs, &job->model,  &job->kernel,
                                    &job->grid,    &job->spectrum,   &job->output,
                                    &job->predict, &job->training,    &job->diagnostics};
    return config;
}

/* An activation's name, for messages and outputs (solvers:
 * spectrum_solver_name, spectrum/spectrum_config.h). */
const char *job_activation_name(ntk_activation act);

#endif
