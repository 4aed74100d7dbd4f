/* The spectrum and dynamics sections' configuration: the solver and what it
 * computes, and the training curve the spectrum predicts (modes). Their keys
 * are described in spectrum/spectrum_keys.c. */
#ifndef NTK_SPECTRUM_SPECTRUM_CONFIG_H
#define NTK_SPECTRUM_SPECTRUM_CONFIG_H

#include <stdint.h>

#include "core/location.h"
#include "grid/grid_config.h"
#include "core/config_keys.h"

/* spectrum.solver, in the order of its names (spectrum_keys.c). elpa is
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
    /* Not a key: 1 when the solve is kernel.precision float32's (set by
     * spectrum_solve_float32 and plan on their copy): auto and the layout
     * fallback then consider the solvers with a float32 path only, and the
     * workspace is counted in floats. */
    int float32;
} ntk_spectrum_spec;

/* spectrum.grid / spectrum.block codes (any other value is a shape or nb). */
#define NTK_SOLVE_LAYOUT_ASSEMBLY 0
#define NTK_SOLVE_LAYOUT_AUTO (-1)

enum { NTK_MAX_STEPS = 256 }; /* entries of dynamics.steps and predict.steps */

typedef struct {
    double learning_rate;            /* default 1.0 */
    int n_steps;
    int64_t steps[NTK_MAX_STEPS];    /* default 0 1 10 100 1000 10000 */
} ntk_dynamics_spec;

extern const ntk_choice_table spectrum_solver_names;     /* ntk_solver */
extern const ntk_choice_table spectrum_features_names;   /* ntk_features_mode */
extern const ntk_choice_table spectrum_pair_check_names; /* ntk_pair_check */
extern const ntk_config_section spectrum_section, dynamics_section;

/* The name of a solver, for messages and outputs. */
const char *spectrum_solver_name(ntk_solver solver);

#endif
