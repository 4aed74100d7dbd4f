/* The linear-solver interface of the predictions (docs/solvers.md, "Linear
 * solvers"): one ops table per solver of (Theta + ridge I) X = B, beside the
 * eigensolvers' tables (spectrum/eigensolver.h) rather than new flags on
 * them, since the request (right-hand sides, a regulariser, a tolerance) and
 * the result (X, a residual) differ. A registry with one line per solver
 * (predict/linear_registry.c); predict_stage, plan and the auto rule ask the
 * tables what a solver can do, what it allocates and how many flops it
 * takes, instead of knowing the solvers.
 *
 * The services around a solver's call (linear_solve, linear_service.c): the
 * scaling into the safe range (the solver works on s (Theta + ridge I) and
 * s B with s = 1 / max diag Theta), the check of the answer (the backward
 * error ||(Theta + ridge I) X - B|| / (||Theta + ridge I|| ||X|| + ||B||) per
 * column, Frobenius norms, against the table's residual_limit), and a
 * failure that names the alternative.
 *
 * A table belongs to its family's folder: eigen/ (through the eigenpairs),
 * cholesky/ (pdpotrf + pdpotrs), cg/ (block preconditioned CG). */
#ifndef NTK_PREDICT_LINEAR_SOLVER_H
#define NTK_PREDICT_LINEAR_SOLVER_H

#include <stddef.h>
#include <stdint.h>

#include "checkpoint/checkpoint_config.h"
#include "core/status.h"
#include "grid/grid.h"
#include "kernel/kernel.h"
#include "model/model.h"
#include "predict/predict_config.h"
#include "spectrum/spectrum.h"

/* What a solver can do or needs. */
enum {
    LINEAR_ASSEMBLED = 1u << 0,      /* solves the assembled, stored Theta */
    LINEAR_MATRIX_FREE = 1u << 1,    /* needs only products Theta V (call->apply) */
    LINEAR_SEVERAL_RHS = 1u << 2,    /* all right-hand sides in one call */
    LINEAR_NEEDS_SPD = 1u << 3,      /* Theta + ridge I must be positive definite */
    LINEAR_NEEDS_SPECTRUM = 1u << 4, /* every eigenpair with its vector (eigen) */
    LINEAR_FINITE_TIME = 1u << 5,    /* also finite-t predictions, not only t = infinity */
    LINEAR_ITERATIVE = 1u << 6,      /* stops at predict.tol: reports iterations */
};

/* One request, for the choice, plan and the workspace. */
typedef struct {
    const ntk_predict_spec *spec;
    int64_t matrix_size;       /* M */
    int64_t right_hand_sides;  /* columns of B: k (trace), 1 (full), more for the ensemble */
    int grid_rows, grid_cols, block;
    int spectrum_has_vectors;  /* the run computes every eigenpair with its vector */
    int theta_assembled;       /* the run assembles Theta (not spectrum.solver matrix_free) */
    int theta_kept;            /* Theta is still whole when predict runs (no eigensolve
                                * overwrote it): no copy of it needs keeping */
    double bytes_per_rank;     /* the memory per rank; 0 = no limit known */
    double bytes_besides;      /* what the run holds besides the solver then */
} linear_request;

/* What a solver allocates on grid process (0, 0), in bytes. */
typedef struct {
    double theta_copy_bytes;   /* a copy of Theta kept through the eigensolve (the
                                * pipeline's, when the eigensolve would overwrite it) */
    double matrix_bytes;       /* distributed M x M matrices of its own (a factor) */
    double vector_bytes;       /* right-hand sides, iterates, preconditioner */
    double peak_bytes;         /* their sum */
} ntk_linear_workspace;

/* What a solve did, for summary.yaml and the log. */
typedef struct {
    const char *solver;        /* the table's name */
    char why[256];             /* auto's reason, or "predict.solver" when chosen */
    char detail[128];          /* e.g. "pdpotrf + pdpotrs, 1 factorisation" */
    double jitter;             /* added to the diagonal besides the ridge (predict.jitter) */
    int64_t iterations;        /* iterative solvers; 0 otherwise */
    double relative_residual;  /* iterative solvers: the largest ||Y - (Theta + ridge I) X|| /
                                * ||Y|| over the columns; NAN otherwise */
    int64_t preconditioner_rank; /* iterative solvers: its columns; 0 without */
    /* Iterative solvers: the mean wall time of one iteration and of one
     * operator product (all outputs' columns at once) in the same solve;
     * NAN otherwise. */
    double iteration_seconds;
    double product_seconds;
    double residual;           /* the service's backward error, max over columns */
    double seconds;            /* wall time of the solve and its check */
    double flops;              /* the table's estimate */
    /* A failed positive-definiteness (LINEAR_NEEDS_SPD): the 1-based global
     * pivot that failed and the smallest extra diagonal estimated to fix it;
     * 0 and NAN otherwise. */
    int64_t failing_pivot;
    double suggested_ridge;
} ntk_linear_report;

/* A matrix-free product Y = Theta X for `columns` replicated M-vectors
 * (column-major, the same on every rank). Collective. */
typedef ntk_status (*linear_apply_fn)(void *context, int64_t columns, const double *x,
                                      double *y);

/* What an iterative or matrix-free solver needs besides the matrix: where
 * its files and checkpoint go, and what its matrix-free operator and the
 * columns of its preconditioner are computed from. */
typedef struct {
    const char *output_dir;
    int plot;                            /* output.plot */
    const ntk_checkpoint_spec *checkpoint;
    uint64_t job_hash;                   /* a checkpoint of another job is refused */
    const ntk_kernel_config *kernel;     /* the cross kernel (preconditioner columns) */
    const ntk_model *model;
    const ntk_input_block *inputs;       /* the training inputs' own block */
    uint64_t seed;                       /* random pivots */
} linear_context;

/* One solve of (Theta + shift I) X = B, shift = ridge + jitter, each scaled
 * by `scale` (Theta's and the right-hand sides'; X is unchanged by it). */
typedef struct {
    const ntk_predict_spec *spec;
    const ntk_grid *grid;
    const ntk_dmatrix *theta;      /* both triangles, read only; NULL: matrix-free */
    const ntk_spectrum *spectrum;  /* every eigenpair (LINEAR_NEEDS_SPECTRUM), else NULL */
    linear_apply_fn apply;         /* matrix-free products; NULL with theta */
    void *apply_context;
    double scale;                  /* the service's 1 / max diag Theta */
    double shift;                  /* ridge + jitter, unscaled */
    int64_t right_hand_sides;
    const double *b;               /* M x right_hand_sides, column-major, every rank */
    double *x;                     /* the same shape, out, the same on every rank */
    ntk_linear_report *report;     /* detail, iterations, failing_pivot, suggested_ridge */
    int64_t matrix_size;           /* M when neither theta nor spectrum says it (matrix-free) */
    const linear_context *context; /* NULL for the direct solvers */
} linear_call;

typedef struct {
    ntk_linear_solver id;   /* predict.solver's value */
    const char *name;       /* as spelt in the job */
    const char *family;     /* its folder under src/predict/ */
    unsigned capabilities;  /* LINEAR_* */
    /* 1 when built in (NULL: always). */
    int (*available)(void);
    /* NULL when it can solve the request, else a sentence saying why not
     * (NULL pointer: it always can). */
    const char *(*unfit)(const linear_request *request);
    /* What it allocates on grid process (0, 0). */
    void (*workspace)(const linear_request *request, ntk_linear_workspace *workspace);
    /* Its floating-point operations, all ranks together. */
    double (*flops)(const linear_request *request);
    /* The solve. Collective; every rank returns the same status. A solver
     * that needs positive definiteness and meets a failing pivot returns
     * NTK_ERR_NUMERIC with report->failing_pivot and suggested_ridge set
     * and no message of its own: the service words it. */
    ntk_status (*solve)(const linear_call *call);
    /* The largest backward error the service accepts from it. */
    double residual_limit;
    /* What to use when it fails (the error says it). */
    const char *alternative;
} ntk_linear_solver_ops;

/* The local row of global row `global` of a block-cyclic matrix on this
 * process row, or -1 when another process row holds it: the diagonal entry
 * of local column j (global g) is local row linear_local_row(grid, g). */
static inline int64_t linear_local_row(const ntk_grid *grid, int64_t global)
{
    if ((int)((global / grid->block) % grid->rows) != grid->myrow)
        return -1;
    return (global / ((int64_t)grid->block * grid->rows)) * grid->block + global % grid->block;
}

/* The registry (predict/linear_registry.c). */
int linear_solver_count(void);
const ntk_linear_solver_ops *linear_solver_at(int index);
/* The table of `id` (NULL for auto); a table whose available() is 0 is
 * still returned (its refusal names it). */
const ntk_linear_solver_ops *linear_solver_find(ntk_linear_solver id);
int linear_solver_available(const ntk_linear_solver_ops *ops);

/* predict.solver resolved for `request`: the table, and in `why` the
 * reason (auto's sentence, or "predict.solver: <name>"). NTK_ERR_JOB when
 * the explicit choice cannot solve the request or auto finds no solver, the
 * message naming the key and what would work. Rank-local, the same on
 * every rank. */
ntk_status linear_solver_choose(const linear_request *request, const ntk_linear_solver_ops **ops,
                                char *why, size_t why_size);

/* The workspace of `ops` for `request`, with peak_bytes summed. */
void linear_solver_workspace(const ntk_linear_solver_ops *ops, const linear_request *request,
                             ntk_linear_workspace *workspace);

/* The service: scale, call->solve, check the backward error, name the
 * alternative on failure; a positive-definiteness failure is retried with
 * jitter when predict.jitter asks (report->jitter says which). `call->scale`
 * and `call->shift` are set here from spec (ridge, jitter). Collective. */
ntk_status linear_solve(const ntk_linear_solver_ops *ops, linear_call *call);

/* The families' tables. */
extern const ntk_linear_solver_ops predict_eigen_ops;
extern const ntk_linear_solver_ops predict_cholesky_ops;
extern const ntk_linear_solver_ops predict_cg_ops;

#endif
