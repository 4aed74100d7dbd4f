/* predict.solver cg: preconditioned conjugate gradient for
 *
 *     (Theta + ridge I) A = B,    B: M x channels (every output at once)
 *
 * one recurrence per column (channel), all columns multiplied together, so
 * one block product per iteration serves every output. Theta is an operator
 * (cg_operator): the stored distributed matrix (cg_stored.c, PBLAS pdsymm)
 * or the matrix-free J (J^T V) products of spectrum/parpack
 * (cg_matrix_free.c). Every vector of the solver is held as each rank's own
 * contiguous rows (the rows of its own block of inputs, grid_own_block), so
 * the recurrences, the preconditioner and the checkpoint are the same for
 * both operators.
 *
 * The preconditioner (cg_preconditioner.c) is the randomized Nystrom
 * preconditioner of Frangella, Tropp and Udell (2023) built from a rank-r
 * factor L L^T ~ Theta: L from Theta's columns at r pivots chosen uniformly
 * at random (nystrom: L = C W^{+1/2}, W the pivots' block) or greedily by
 * the largest remaining diagonal (pivoted_cholesky: a partial Cholesky
 * factor). With L L^T = U diag(lambda) U^T (U orthonormal):
 *
 *     P^-1 = (lambda_r + ridge) U (diag(lambda) + ridge)^-1 U^T + (I - U U^T)
 *
 * applied as z = r + U diag(s) U^T r, s_i = (lambda_r + ridge) / (lambda_i +
 * ridge) - 1 in (-1, 0]: the Woodbury form, positive definite by
 * construction. Files: cg_solve.c (the recurrences), cg_rows.c (own rows
 * <-> block-cyclic), cg_checkpoint.c (the iterate's checkpoint),
 * cg_output.c (cg.csv, cg.svg). */
#ifndef NTK_PREDICT_CG_CG_H
#define NTK_PREDICT_CG_CG_H

#include <mpi.h>
#include <stdint.h>

#include "core/status.h"
#include "grid/grid.h"

/* Theta as seen by the solver: rows [first_row, first_row + own_rows) of
 * the size x size matrix belong to this rank. */
typedef struct {
    MPI_Comm comm;
    int64_t size;      /* M */
    int64_t own_rows;  /* this rank's rows */
    int64_t first_row; /* the global index of the first */
    const char *name;  /* "stored" or "matrix_free" (logs, summary.yaml) */
    void *context;
    /* Y = Theta X for `columns` columns (own rows, column-major, leading
     * dimension ld). Collective; every rank passes the same columns. */
    ntk_status (*apply)(void *context, const double *x, int64_t columns, int64_t ld, double *y);
    /* Theta's columns at the global `indices` (the same on every rank) into
     * own rows x count (leading dimension ld). Collective. */
    ntk_status (*columns)(void *context, const int64_t *indices, int64_t count, double *out,
                          int64_t ld);
    /* Theta's diagonal at the own rows. Collective. */
    ntk_status (*diagonal)(void *context, double *diagonal);
    /* The most columns one apply takes (0: any number). */
    int64_t widest_apply;
    int64_t products; /* columns multiplied so far */
    /* The wall time and number of calls of apply so far: what one product
     * costs in this run, against an iteration's time (summary.yaml). */
    double apply_seconds;
    int64_t apply_calls;
} cg_operator;

typedef enum { CG_PRECONDITIONER_NONE, CG_PRECONDITIONER_NYSTROM, CG_PRECONDITIONER_PIVOTED_CHOLESKY } cg_preconditioner_kind;

typedef struct {
    cg_preconditioner_kind kind;
    int64_t rank;     /* columns of u (the kept eigenvalues of L L^T) */
    int64_t asked;    /* predict.preconditioner_rank */
    int64_t own_rows;
    double *u;        /* own_rows x rank, orthonormal columns */
    double *scale;    /* s_i */
    double *lambda;   /* the eigenvalues of L L^T, descending */
    double *work;     /* rank x channels */
    int64_t work_columns;
    double build_seconds;
} cg_preconditioner;

/* Build the preconditioner of rank `rank` (NONE: nothing). `seed` drives
 * the Nystrom pivots, so every rank count draws the same ones. `power`
 * steps of subspace iteration follow: Y = Theta U with the basis U so far,
 * then the Nystrom approximation Y (U^T Y)^{+1/2} of Theta from that
 * sketch, whose eigenpairs replace U and lambda (rank more columns
 * multiplied per step). Collective. */
ntk_status cg_preconditioner_build(cg_operator *op, cg_preconditioner_kind kind, int64_t rank,
                                   double ridge, uint64_t seed, int64_t max_columns, int power,
                                   cg_preconditioner *preconditioner);
/* Z = P^-1 R for `columns` columns (own rows, leading dimension ld).
 * Collective. */
ntk_status cg_preconditioner_apply(cg_preconditioner *preconditioner, MPI_Comm comm,
                                   const double *r, int64_t columns, int64_t ld, double *z);
void cg_preconditioner_free(cg_preconditioner *preconditioner);

/* The state of the recurrences, enough to continue them exactly. */
typedef struct {
    int64_t own_rows;
    int channels;
    int64_t iteration;      /* iterations done */
    int64_t restarts;       /* residual replacements (the recurrence drifted) */
    double *x, *r, *p;      /* own_rows x channels each */
    double *rho;            /* r^T z per channel */
    double *b_norm;         /* ||b|| per channel */
    int *active;            /* channel still iterating */
    /* The relative residual per channel after each iteration (iteration 0:
     * the start), (history_capacity) x channels, rows [0, iteration]. */
    double *history;
    int64_t history_capacity;
} cg_state;

ntk_status cg_state_create(int64_t own_rows, int channels, int64_t max_iterations,
                           cg_state *state);
void cg_state_free(cg_state *state);

typedef struct {
    double tolerance;          /* relative residual per channel */
    int64_t max_iterations;
    double ridge;
    /* Called after every iteration (and once at the start), collectively:
     * stop points, checkpoints, progress. A non-OK status ends the solve. */
    ntk_status (*after_iteration)(void *context, const cg_state *state);
    void *context;
} cg_options;

typedef struct {
    int converged;
    int64_t iterations;
    double final_residual;   /* the largest relative true residual over the channels */
    double seconds;
    double iteration_seconds; /* the mean wall time of one iteration of this call */
} cg_result;

/* Solve (Theta + ridge I) X = B. `state` is fresh (x = 0) or resumed from a
 * checkpoint (cg_checkpoint_load). B: own rows x channels, leading
 * dimension own_rows. On return state->x holds the solution. Not converging
 * within max_iterations is not an error here (result->converged = 0); the
 * caller decides. Collective. */
ntk_status cg_solve(cg_operator *op, cg_preconditioner *preconditioner, const cg_options *options,
                    const double *b, int resumed, cg_state *state, cg_result *result);

/* ---- own rows <-> block-cyclic (cg_rows.c) ---- */

/* The own rows [first_row, first_row + own_rows) of every column of the
 * block-cyclic `a` into out (leading dimension ld). Collective. */
ntk_status cg_rows_from_dmatrix(const ntk_grid *grid, const ntk_dmatrix *a, int64_t first_row,
                                int64_t own_rows, double *out, int64_t ld);
/* The reverse: own rows of `in` into the block-cyclic `a` (created by the
 * caller with a->cols columns). Collective. */
ntk_status cg_rows_to_dmatrix(const ntk_grid *grid, const double *in, int64_t ld,
                              int64_t first_row, int64_t own_rows, ntk_dmatrix *a);

/* ---- checkpoint of the iterate (cg_checkpoint.c) ---- */

/* Write the state to `path` (via path.partial, renamed when complete),
 * stamped with `job_hash` and the sizes. Collective. */
ntk_status cg_checkpoint_save(const char *path, MPI_Comm comm, uint64_t job_hash, int64_t size,
                              const cg_state *state);
/* If `path` exists: check it belongs to this job, size and rank count and
 * load it into `state` (*found = 1); else *found = 0. A corrupt file is
 * NTK_ERR_IO. Collective. */
ntk_status cg_checkpoint_load(const char *path, MPI_Comm comm, uint64_t job_hash, int64_t size,
                              cg_state *state, int *found);

/* ---- files (cg_output.c; rank 0) ---- */

/* cg.csv: iteration, then the relative residual of each channel. */
ntk_status cg_write_csv(const char *dir, const cg_state *state);
/* cg.svg: the residuals against iteration on a log axis, the tolerance
 * dashed. */
ntk_status cg_write_svg(const char *dir, const char *title, const cg_state *state,
                        double tolerance);

#endif
