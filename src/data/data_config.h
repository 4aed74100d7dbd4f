/* The data section's configuration (data.inputs, data.targets,
 * data.test_inputs, data.test_targets): one source each. Its keys are
 * described in data/data_keys.c. */
#ifndef NTK_DATA_DATA_CONFIG_H
#define NTK_DATA_DATA_CONFIG_H

#include <stdint.h>

#include "core/location.h"
#include "core/config_keys.h"

typedef enum {
    NTK_SOURCE_NONE = 0,  /* only for targets */
    NTK_SOURCE_NPY,
    NTK_SOURCE_CSV,
    NTK_SOURCE_SYNTHETIC
} ntk_source_kind;

typedef enum {
    NTK_SYNTH_GAUSSIAN = 0, /* inputs: iid N(0,1); targets: iid N(0,1) */
    NTK_SYNTH_SPHERE,       /* inputs: uniform on the sphere of radius sqrt(dim) */
    NTK_SYNTH_SINE          /* targets: y_o = sin(<a_o, x> / sqrt(dim)), a_o ~ N(0,1) */
} ntk_synthetic_kind;

typedef struct {
    ntk_source_kind kind;
    char path[NTK_PATH_MAX];  /* resolved path for NPY/CSV */
    ntk_synthetic_kind synthetic;
    int64_t n, dim;           /* synthetic inputs only */
    int shape_rank;           /* synthetic inputs given `shape:` [H, W, C] or [L, C]: */
    int64_t shape[3];         /* its dimensions (dim is their product); 0 = flat */
    uint64_t seed;            /* synthetic only */
    ntk_location where;       /* the key in the job file */
} ntk_data_source;

/* The data section: one source per key (ntk_job holds it under these names). */
typedef struct {
    ntk_data_source inputs;
    ntk_data_source targets;       /* kind NONE when absent */
    ntk_data_source test_inputs;   /* data.test_inputs; kind NONE when absent */
    ntk_data_source test_targets;  /* data.test_targets; kind NONE when absent */
} ntk_data_spec;

extern const ntk_choice_table data_synthetic_names; /* ntk_synthetic_kind */
extern const ntk_config_section data_section;

#endif
