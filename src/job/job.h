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

#include "core/status.h"
#include "job/job_enum_names.h"
#include "model/layer_types.h"

enum {
    NTK_PATH_MAX = 4096,
    NTK_MAX_STEPS = 256,    /* entries of dynamics.steps */
    NTK_MAX_OVERRIDES = 64, /* --set options plus sweep keys */
    NTK_MAX_SWEEP_KEYS = 8,
    NTK_MAX_SWEEP_VALUES = 64,
    /* job_load takes the --set options, --out and one value per sweep key */
    NTK_MAX_JOB_OVERRIDES = NTK_MAX_OVERRIDES + 1 + NTK_MAX_SWEEP_KEYS
};

/* Where a key or value stood in its file, for error messages. `file` points
 * at text shared for the life of the process (job/job_location.c), so a copied
 * job keeps valid locations and ntk_job stays small enough for the stack. */
typedef struct {
    const char *file; /* the job file, or "--set KEY"; NULL in a zeroed location */
    int line, column; /* 1-based; 0 when unknown */
} ntk_location;

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

typedef struct {
    int n_layers;                        /* entries of model.layers, activations included */
    ntk_layer_spec layers[NTK_MAX_LAYERS];
    /* The dense summary, filled by the parser from `layers` for a stack of
     * dense layers and activations. Code that builds a spec by hand may fill
     * only this and leave n_layers 0 (model_spec_layers expands it). */
    int n_dense;                         /* L+1 dense layers */
    int64_t width[NTK_MAX_DENSE];        /* output width of dense layer i (0-based) */
    ntk_activation act[NTK_MAX_DENSE];   /* activation after dense layer i; identity after the last */
    ntk_location layer_where[NTK_MAX_DENSE]; /* where dense layer i is written */
    ntk_parameterization parameterization; /* default ntk */
    double w_std;                        /* default 1.0 */
    double b_std;                        /* default 0.0 = no bias parameters */
    uint64_t seed;                       /* default 0 */
    char weights_path[NTK_PATH_MAX];     /* model.weights (.safetensors), "" = from seed */
    ntk_location where;                  /* the model key */
} ntk_model_spec;

typedef enum { NTK_METHOD_AUTO = 0, NTK_METHOD_STRUCTURED, NTK_METHOD_JACOBIAN } ntk_kernel_method;
typedef enum { NTK_OUTPUTS_TRACE = 0, NTK_OUTPUTS_FULL } ntk_kernel_outputs;
typedef enum { NTK_KIND_EMPIRICAL = 0, NTK_KIND_ANALYTIC } ntk_kernel_kind;

typedef struct {
    ntk_kernel_kind kind;        /* default empirical */
    ntk_kernel_method method;    /* default auto (= structured) */
    ntk_kernel_outputs outputs;  /* default trace */
    int nngp;                    /* analytic: also the NNGP kernel (nngp.npy); default false */
    int compare_analytic;        /* empirical: also the analytic kernel, report ||Theta - Theta_inf|| / ||Theta_inf||; default false */
    int quadrature_order;        /* analytic, tanh/gelu: Gauss-Hermite points per axis; default 32 */
    int64_t jacobian_chunk;      /* jacobian: parameters per chunk; default 8192 */
    int64_t chunk_mib;           /* structured: packed-feature memory per rank (MiB) above
                                  * which Jacobian blocks are assembled in parameter
                                  * chunks; default NTK_DEFAULT_CHUNK_MIB */
} ntk_kernel_spec;

/* grid.block when the job does not say: the one place this default lives. */
#define NTK_DEFAULT_BLOCK 64
/* kernel.chunk_mib when the job does not say (0 in a job built in code means this too). */
#define NTK_DEFAULT_CHUNK_MIB 2048

typedef struct {
    int block;       /* ScaLAPACK nb as written; the run clamps it (grid_effective_block) */
    int rows, cols;  /* process grid; 0,0 = auto (closest to square, rows <= cols) */
    ntk_location shape_where; /* grid.shape (or grid, or the file) for the rank-count check */
} ntk_grid_spec;

/* spectrum.solver, in the order of its names (job_sections_run.c). elpa is
 * ELPA's 2-stage solver, elpa1 its 1-stage one (both only when built with
 * ELPA); lapack gathers Theta to one rank of a single node and solves it there
 * with LAPACK on all the node's cores (spectrum/node/gather_lapack.c). */
typedef enum {
    NTK_SOLVER_AUTO = 0,
    NTK_SOLVER_PDSYEVD,
    NTK_SOLVER_PDSYEVR,
    NTK_SOLVER_NONE,
    NTK_SOLVER_MATRIX_FREE, /* PARPACK on Theta v = J (J^T v); Theta is never assembled */
    NTK_SOLVER_ELPA,
    NTK_SOLVER_ELPA1,
    NTK_SOLVER_LAPACK
} ntk_solver;

/* spectrum.features (matrix_free): keep the per-input features between
 * products, recompute them per product, or decide from the memory plan. */
typedef enum { NTK_FEATURES_AUTO = 0, NTK_FEATURES_STORED, NTK_FEATURES_RECOMPUTE } ntk_features_mode;

/* spectrum.pair_check (matrix_free): one product per pair (exact), or PARPACK's
 * Ritz estimates verified by a few random probes (probes); auto: probes
 * above SPECTRUM_CHECK_EXACT_PAIRS pairs (spectrum/parpack/matrix_free_check.c). */
typedef enum { NTK_PAIR_CHECK_AUTO = 0, NTK_PAIR_CHECK_EXACT, NTK_PAIR_CHECK_PROBES } ntk_pair_check;

typedef struct {
    ntk_solver solver;  /* default auto: spectrum_resolve_solver (spectrum/workspace.c) */
    int vectors;        /* default true */
    int64_t top;        /* 0 = all (default), else the k largest */
    /* matrix_free only */
    double tolerance;             /* ||Theta v - lambda v|| / lambda_max per pair; default 1e-10 */
    int allow_unconverged;        /* default false: an unconverged pair is NTK_ERR_NUMERIC */
    ntk_features_mode features;   /* default auto */
    ntk_pair_check pair_check;    /* default auto */
    ntk_location top_where;       /* spectrum.top (or the section) for run-time refusals */
    /* The eigensolve's layout (spectrum/layout.c): spectrum.grid as a shape,
     * or NTK_SOLVE_LAYOUT_ASSEMBLY (0, the default: the assembly's grid) or
     * NTK_SOLVE_LAYOUT_AUTO in solve_rows and solve_cols; spectrum.block as
     * an nb (clamped like grid.block), or the same two codes. */
    int solve_rows, solve_cols;
    int solve_block;
    ntk_location layout_where;    /* spectrum.grid or spectrum.block, for refusals */
} ntk_spectrum_spec;

/* spectrum.grid / spectrum.block codes (any other value is a shape or nb). */
#define NTK_SOLVE_LAYOUT_ASSEMBLY 0
#define NTK_SOLVE_LAYOUT_AUTO (-1)

typedef struct {
    double learning_rate;            /* default 1.0 */
    int n_steps;
    int64_t steps[NTK_MAX_STEPS];    /* default 0 1 10 100 1000 10000 */
} ntk_dynamics_spec;

typedef struct {
    char dir[NTK_PATH_MAX];  /* default "ntkgram-out" */
    int theta;               /* write theta.npy; default false */
    int eigenvectors;        /* write eigenvectors.npy; default true (needs spectrum.vectors) */
    int plot;                /* write spectrum.svg; default true */
    int params;              /* write params.safetensors; default false */
    int test_theta;          /* write test_theta.npy (needs data.test_inputs); default false */
} ntk_output_spec;

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

typedef struct {
    int enabled;             /* the training key is present */
    int64_t steps;           /* default 1000 */
    double learning_rate;    /* default: dynamics.learning_rate */
    int64_t record_every;    /* default 10 */
    int kernel_after;        /* default false */
} ntk_training_spec;

typedef struct {
    double every_seconds;    /* checkpoint.every; 0 = only on a signal (default) */
    char dir[NTK_PATH_MAX];  /* default <output.dir>/checkpoint */
} ntk_checkpoint_spec;

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

enum { NTK_SWEEP_KEY_MAX = 256, NTK_SWEEP_VALUE_MAX = 128 }; /* bytes, with the NUL */

typedef struct {
    int n_keys;
    const char *key[NTK_MAX_SWEEP_KEYS];     /* shared texts, as ntk_applied_override */
    int n_values[NTK_MAX_SWEEP_KEYS];
    const char *value[NTK_MAX_SWEEP_KEYS][NTK_MAX_SWEEP_VALUES]; /* YAML text of each value */
    int value_line[NTK_MAX_SWEEP_KEYS][NTK_MAX_SWEEP_VALUES];   /* where each value stands */
    int value_column[NTK_MAX_SWEEP_KEYS][NTK_MAX_SWEEP_VALUES];
    ntk_location where;
} ntk_sweep_spec;

typedef struct {
    char path[NTK_PATH_MAX];   /* the job file as given */
    char name[256];            /* `name:`; default: the file name without .yaml */
    ntk_data_source inputs;
    ntk_data_source targets;   /* kind NONE when absent */
    ntk_data_source test_inputs;  /* data.test_inputs; kind NONE when absent */
    ntk_data_source test_targets; /* data.test_targets; kind NONE when absent */
    ntk_model_spec model;
    ntk_kernel_spec kernel;
    ntk_grid_spec grid;
    ntk_spectrum_spec spectrum;
    ntk_dynamics_spec dynamics;
    ntk_output_spec output;
    ntk_training_spec training;
    ntk_predict_spec predict;
    ntk_checkpoint_spec checkpoint;
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

/* Whether `targets` (data.targets, data.test_targets) come from a file whose
 * shape the run must check against the inputs and the model: absent targets
 * need nothing and synthetic ones are made to fit. `*have_targets` gets
 * whether there are targets at all. */
int job_targets_need_shape_check(const ntk_data_source *targets, int *have_targets);

/* Open the job file `path` for reading: a missing, unreadable or folder path
 * raises `code` as "PATH: cannot read job file: REASON" (NTK_ERR_JOB for the
 * loader; NTK_ERR_USAGE for the command line's check before anything is read). */
ntk_status job_file_open(const char *path, ntk_status code, FILE **file);

/* Write the effective job (defaults filled in) as YAML, indented by `indent`
 * spaces, for summary.yaml. */
void job_echo_yaml(const ntk_job *job, FILE *out, int indent);

/* `text` as a YAML double-quoted scalar: safe for any text (a folder named
 * "true", "123" or "a: b" stays a string). For the echo and other YAML output. */
void job_write_yaml_string(FILE *out, const char *text);

/* `text` between two `quote` characters, each `quote` inside doubled: a YAML
 * single-quoted scalar (quote '\'') or a CSV field (quote '"'); both formats
 * escape their quote this one way. */
void job_write_quoted(FILE *out, const char *text, char quote);

/* Stable 64-bit hash of everything that determines Theta (data, model, kernel,
 * grid), for checkpoints: a checkpoint from another job is refused. */
uint64_t job_hash(const ntk_job *job);

/* Names for messages and outputs (from the tables of job_enum_names.h). */
const char *job_activation_name(ntk_activation act);
const char *job_solver_name(ntk_solver solver);

/* A location as message text: "jobs/demo.yaml:7:12", "--set grid.shape" (an
 * override) or "jobs/demo.yaml" (line unknown). Returns `buffer`. */
const char *job_location_text(const ntk_location *where, char *buffer, size_t size);

#endif
