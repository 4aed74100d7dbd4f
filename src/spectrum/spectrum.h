/* The distributed eigendecomposition of Theta and the training modes.
 *
 * Solvers: pdsyevd (all eigenpairs) and pdsyevr (eigenvalues only, or the
 * top-k pairs) of ScaLAPACK; ELPA 2-stage (elpa) and 1-stage (elpa1) on the
 * same layout when built with ELPA (elpa_solver.c); LAPACK on one rank after
 * a gather, for ranks sharing one node (lapack, gather_lapack.c). All
 * return ascending eigenvalues; we solve for -Theta so
 * that the k largest come first, already in descending order, and eigenvector
 * column i belongs to eigenvalue i. Only the lower triangle is read.
 */
#ifndef NTK_SPECTRUM_SPECTRUM_H
#define NTK_SPECTRUM_SPECTRUM_H

#include <stdint.h>

#include "core/status.h"
#include "grid/grid.h"
#include "spectrum/spectrum_config.h"

/* How the eigenpairs were checked (spectrum/verify.c; docs/design.md,
 * "Checking the eigenpairs"). */
typedef struct {
    const char *method;   /* "exact" (every pair's residual) or "probes"; NULL: none ran */
    int probes;           /* Gaussian probe vectors (0 for exact) */
    /* exact: max_i ||Theta v_i - lambda_i v_i|| / max_i |lambda_i|;
     * probes: max_k ||(Theta V - V Lambda) c_k|| / max_i |lambda_i|, which is
     * at least the worst pair's times |g| for a standard normal g, per probe */
    double residual;
    double orthogonality; /* max_k ||(V^T V - I) c_k|| (probes in both methods) */
} ntk_eigenpair_check;

typedef struct {
    int64_t n_pairs;      /* eigenpairs found (M, or spectrum.top) */
    double *values;       /* n_pairs, descending; on every rank */
    int have_vectors;
    /* What the solver computed, of which the above is what the job asked
     * for: a request for less is honoured by dropping the rest (e.g.
     * pdsyevd computes all M pairs; summary.yaml's spectrum.computed). */
    int64_t computed_values, computed_vectors;
    ntk_dmatrix vectors;  /* M x m, column i for values[i] */
    const char *solver;   /* spectrum_solver_name of the solver that ran (never "auto") */
    char solver_detail[96]; /* e.g. "elpa 2-stage, kernel generic" (summary.yaml) */
    double diagonal_sum;        /* trace of Theta (all M eigenvalues' sum), from the diagonal */
    /* max_i ||Theta v_i - lambda_i v_i|| / max_i |lambda_i| over the computed
     * pairs (spectrum/verify.c); NaN when no eigenvectors were computed. */
    double max_relative_residual;
    ntk_eigenpair_check check; /* the check that set it (method NULL otherwise) */
    /* Values-only solves: "moments" (spectrum/verify_values.c) and its
     * spectrum_values_error; NULL and NaN otherwise. */
    const char *values_check;
    double values_check_error;
    /* spectrum.solver matrix_free (spectrum/parpack/matrix_free_parpack.c); 0/NULL otherwise */
    int matrix_free;
    int64_t converged;      /* pairs with residual <= spectrum.tolerance */
    int64_t products;       /* Theta-vector products, the residual check's included */
    int64_t restarts;       /* PARPACK's Lanczos restarts */
    int64_t basis_size;     /* PARPACK's ncv */
    double *pair_residual;  /* m: ||Theta v_i - lambda_i v_i|| / lambda_max */
    /* "products" (pair_residual by one product per pair) or "ritz_estimates"
     * (PARPACK's, verified by the probes in `check`) */
    const char *pair_residuals_from;
    const char *features;   /* "stored" or "recompute" */
    double tolerance;       /* spectrum.tolerance */
    double check_seconds; /* wall time of that check (part of spectrum_solve's) */
    /* The layout the solver ran on (spectrum_solve_layout) and the wall
     * time of moving Theta there and the eigenvectors back (0 when the
     * assembly's layout was used). */
    int solve_rows, solve_cols, solve_block;
    double redistribute_seconds;
    /* kernel.precision float32 (spectrum_solve_float32): the values are
     * float32 numbers (exact in values[]) and written as float32; the
     * eigenvectors are in vectors_single, `vectors` then only describes
     * their layout (data NULL). */
    int single_precision;
    ntk_smatrix vectors_single;
    /* float32: the eigenvalues' stated error bound (kernel/precision_error.c),
     * set by the run; modes at or below it carry no information and the
     * predictions leave them out. 0 otherwise. */
    double eigenvalue_floor;
} ntk_spectrum;

/* A solve whose eigenpairs' relative residual exceeds this is refused
 * (NTK_ERR_NUMERIC). A correct solve gives about M * 1e-16; the failure it
 * guards against (wrong vectors, issue 7 defect 1) gives about 1. */
#define SPECTRUM_RESIDUAL_LIMIT 1e-8
/* Blocks of eigenvector columns per process column in one PDSYMM of the
 * residual check (verify.c says why). */
#define SPECTRUM_CHECK_PANEL_BLOCKS 8
/* The probe check (verify_probes.c) with this many Gaussian vectors: a pair
 * 100 times above the limit passes all of them with probability 4e-9. */
#define SPECTRUM_CHECK_PROBES 4
#define SPECTRUM_CHECK_MAX_PROBES 64
/* The exact check runs for at most SPECTRUM_CHECK_EXACT_PAIRS pairs, or
 * when m <= M / SPECTRUM_CHECK_EXACT_DIVISOR (then its 2 M^2 m flops are
 * under 5% of the 4/3 M^3 of the tridiagonal reduction every solver does);
 * the probes otherwise. */
#define SPECTRUM_CHECK_EXACT_PAIRS 32
#define SPECTRUM_CHECK_EXACT_DIVISOR 32
/* Eigenvectors whose ||(V^T V - I) c|| exceeds this are refused, as the
 * residual limit (a correct solve gives about 1e-13). */
#define SPECTRUM_ORTHOGONALITY_LIMIT 1e-8

/* Where the solve runs, for the auto rule. */
typedef struct {
    int ranks;
    int single_node;        /* every rank on one node (MPI_COMM_TYPE_SHARED) */
    double node_free_bytes; /* MemAvailable of the node (smallest over nodes); 0 = unknown */
    /* The memory limit per rank (plan's --mem-per-rank, the run's share)
     * and what the rank holds besides the solver during the solve (Theta,
     * inputs, model, baseline): auto picks no solver whose planned peak,
     * their sum with its eigenvectors and workspace, exceeds the limit
     * while a slower one fits. 0 = no limit known. */
    double bytes_per_rank;
    double bytes_besides_solver;
} ntk_solver_site;

/* 1 when this ntkgram was built with ELPA. */
int spectrum_have_elpa(void);
/* 1 when that ELPA computes in single precision (kernel.precision float32's
 * elpa and elpa1): asked of ELPA once, on this rank alone
 * (spectrum/elpa/elpa_solver.c says why); 0 without ELPA. */
int spectrum_elpa_single_precision(void);
/* ELPA 2022.11 fails (ELPA_ERROR_DURING_COMPUTATION) when a process row or
 * column holds no block of the matrix: 0 then, and spectrum_workspace_at
 * (so plan and the run) uses pdsyevd/pdsyevr instead, saying why. */
int spectrum_elpa_fits(int64_t matrix_size, int block, int grid_rows, int grid_cols);
/* The run's site: single_node from MPI_Comm_split_type, node_free_bytes the
 * smallest MemAvailable over the nodes now (Theta allocated, so less than
 * plan saw: the run never picks the larger lapack path when plan did not).
 * Collective. */
ntk_status spectrum_site_detect(MPI_Comm comm, ntk_solver_site *site);
/* The plan's guess, rank-local: one node unless Slurm says more
 * (SLURM_JOB_NUM_NODES), this machine's MemAvailable. */
void spectrum_site_guess(int ranks, ntk_solver_site *site);

/* The solver spectrum.solver resolves to at `site`, and why (a sentence for
 * plan and the log; `reason` may be NULL). The rule and the measurements
 * behind it are in spectrum/workspace.c. */
ntk_solver spectrum_resolve_solver_at(const ntk_spectrum_spec *spec, int64_t matrix_size,
                                      const ntk_solver_site *site, const char **reason);
/* What auto picks when it does not gather to one rank (several nodes, or
 * too little memory): ELPA when built with it, else ScaLAPACK. Rank counts
 * do not change it, so plan_min_ranks searches with it (the lapack path's
 * rank-0 memory does not fall with more ranks). */
ntk_solver spectrum_distributed_solver(const ntk_spectrum_spec *spec, const char **reason);
/* The same at spectrum_site_guess(1). */
ntk_solver spectrum_resolve_solver(const ntk_spectrum_spec *spec, int64_t matrix_size);
/* NTK_OK when `solver` computes at least what `spec` asks (it then keeps
 * only that), or is auto or none; else NTK_ERR_JOB naming the key that asks
 * for more (spectrum.top at its place in the job). */
ntk_status spectrum_check_request(const ntk_spectrum_spec *spec, ntk_solver solver);
/* Eigenpairs kept: spectrum.top, or all M. */
int64_t spectrum_kept_pairs(const ntk_spectrum_spec *spec, int64_t matrix_size);

/* What the eigensolve allocates on the rank that holds the most (grid
 * process (0, 0)), for an M x M matrix on a grid_rows x grid_cols grid with
 * the (effective, see grid_effective_block) block. The one source of these
 * numbers: spectrum_solve allocates them and plan adds them up. */
typedef struct {
    ntk_solver solver;          /* resolved (never auto) */
    const char *reason;         /* why (spectrum_resolve_solver_at) */
    int64_t kept_pairs;         /* M or spectrum.top */
    int64_t solved_pairs;       /* computed: kept_pairs, or more for pdsyevr top-k (workspace.c),
                                 * all M for pdsyevd whatever is asked */
    int64_t solved_values;      /* eigenvalues computed: solved_pairs, or all M (ELPA, and
                                 * lapack without vectors, solve the whole tridiagonal) */
    int64_t lwork, liwork;      /* doubles and ints of solver workspace */
    int64_t vector_local_rows;  /* the eigenvector block during the solve: rows x cols */
    int64_t vector_local_cols;
    int64_t verify_doubles;     /* the residual check's scratch */
    int64_t gathered_doubles;   /* lapack: the matrix (and top-k vectors) on rank 0 */
    int64_t internal_doubles;   /* plan only: what the library takes beyond lwork during
                                 * the solve (pdsyevr: its query's answer and its own
                                 * allocations, workspace.c) */
    int single;                 /* kernel.precision float32: the matrices and the REAL
                                 * workspace in 4-byte floats (lwork, vectors, gathered) */
} ntk_spectrum_workspace;

void spectrum_workspace_at(const ntk_spectrum_spec *spec, const ntk_solver_site *site,
                           int64_t matrix_size, int grid_rows, int grid_cols, int block,
                           ntk_spectrum_workspace *workspace);
/* spectrum_workspace_at at spectrum_site_guess(grid_rows * grid_cols). */
void spectrum_workspace(const ntk_spectrum_spec *spec, int64_t matrix_size, int grid_rows,
                        int grid_cols, int block, ntk_spectrum_workspace *workspace);
/* Bytes of workspace (the larger of the solver's and the check's) plus the
 * M eigenvalues; 0 for solver none. */
double spectrum_workspace_bytes(const ntk_spectrum_workspace *workspace, int64_t matrix_size);
/* Bytes of the eigenvector block while the solver runs. */
double spectrum_vector_bytes(const ntk_spectrum_workspace *workspace);
/* Floating-point operations, all ranks together: the solver's, and the
 * residual check's (2 M^2 per kept pair when eigenvectors exist). */
double spectrum_solver_flops(const ntk_spectrum_workspace *workspace, int64_t matrix_size);
double spectrum_check_flops(const ntk_spectrum_workspace *workspace, int64_t matrix_size);

/* The residual check: `minus_theta` holds -Theta in its strictly upper
 * triangle and diagonal (the solvers leave both, see solve.c), `vectors` the
 * M x m eigenvectors, `values` Theta's eigenvalues. Sets `max_relative`
 * as in ntk_spectrum. Collective. */
ntk_status spectrum_max_relative_residual(const ntk_grid *grid, const ntk_dmatrix *minus_theta,
                                          const ntk_dmatrix *vectors, const double *values,
                                          double *max_relative);

/* A power of two near `scale` (1 for 0 or a non-finite one): the checks
 * multiply residuals by its inverse before squaring them, so that neither
 * a matrix near the underflow threshold (squares flushed to 0, every pair
 * passing) nor one near overflow (squares infinite, every pair refused)
 * fools them, and, being exact, changes no rounding elsewhere. */
double spectrum_check_unit(double scale);
/* 1 when the check of m = `pairs` pairs of an M x M matrix uses probes. */
int spectrum_check_uses_probes(int64_t matrix_size, int64_t pairs);
/* Probe k's entry for pair i: a standard normal, a pure function of (i, k). */
double spectrum_probe_entry(int64_t pair, int probe);
/* The probe check with `probes` vectors (1..SPECTRUM_CHECK_MAX_PROBES):
 * `residual` (NULL: not computed, and `minus_theta` not read) and
 * `orthogonality` as in ntk_eigenpair_check. Arguments as
 * spectrum_check_eigenpairs. Collective. */
ntk_status spectrum_probe_eigenpairs(const ntk_grid *grid, const char *uplo,
                                     const ntk_dmatrix *minus_theta,
                                     const ntk_dmatrix *vectors, const double *values, int probes,
                                     double *residual, double *orthogonality);
/* The check spectrum_solve runs: exact or probes by
 * spectrum_check_uses_probes, orthogonality by probes, with -Theta whole in
 * the `uplo` triangle ("U" after the ScaLAPACK and ELPA solvers, "L" after
 * lapack, which only reads it). Fills `check`; the caller compares it with
 * the limits. Collective. */
ntk_status spectrum_check_eigenpairs(const ntk_grid *grid, const char *uplo,
                                     const ntk_dmatrix *minus_theta, const ntk_dmatrix *vectors,
                                     const double *values, ntk_eigenpair_check *check);

/* What a values-only solve's eigenvalues must reproduce of Theta
 * (spectrum/verify_values.c), in units of `unit` (a power of two near the
 * largest |entry|, spectrum_check_unit). */
typedef struct {
    double unit;
    double trace;         /* sum_i Theta_ii */
    double frobenius2;    /* sum_ij Theta_ij^2 */
    double ones_quotient; /* 1^T Theta 1 / M */
    double max_diagonal, min_diagonal;
} ntk_matrix_moments;

/* The moments of Theta (lower triangle valid, `largest` its largest
 * |entry|). Collective. */
ntk_status spectrum_matrix_moments(const ntk_grid *grid, const ntk_dmatrix *theta,
                                   double largest, ntk_matrix_moments *moments);
/* How far Theta's `count` descending eigenvalues `values` (all M when
 * count = matrix_size, else the top ones) are from the moments, relative
 * to the largest |eigenvalue|: the largest of |sum lambda - trace|, the
 * change of sum lambda^2 against the Frobenius norm, and how far
 * lambda_1 falls below (lambda_M rises above) a Rayleigh quotient. A
 * correct solve gives about M eps; NaN fails every comparison. */
double spectrum_values_error(const ntk_matrix_moments *moments, const double *values,
                             int64_t count, int64_t matrix_size);
/* A values-only solve whose spectrum_values_error exceeds this is refused
 * (NTK_ERR_NUMERIC): correct solves give about M eps (6e-14 at M = 300);
 * issue 19's wrong ELPA eigenvalues gave 2.6e-8 to 1e-4. */
#define SPECTRUM_VALUES_LIMIT 1e-9

/* The eigensolve's layout (spectrum/layout.c): spectrum.grid and
 * spectrum.block resolved for the resolved `solver` on `ranks` ranks, from
 * the assembly's grid_rows x grid_cols grid and (effective) block; `moved`
 * when it differs from the assembly's. Only pdsyevd, pdsyevr, elpa and elpa1
 * move. A spectrum.grid whose product is not `ranks` (preflight refuses it)
 * keeps the assembly's shape. */
typedef struct {
    int rows, cols, block;
    int moved;
} ntk_solve_layout;

void spectrum_solve_layout(const ntk_spectrum_spec *spec, ntk_solver solver, int ranks,
                           int64_t matrix_size, int grid_rows, int grid_cols, int block,
                           ntk_solve_layout *layout);
/* Bytes grid process (0, 0) holds besides the solve while Theta moves to
 * `layout` (both copies and PDGEMR2D's panel buffers) or the M x
 * vector_cols eigenvectors move back, whichever is larger; 0 when not
 * moved. Plan adds it to the solve phase's theta-free base. */
double spectrum_layout_move_bytes(const ntk_solve_layout *layout, int64_t matrix_size,
                                  int64_t vector_cols, int grid_rows, int grid_cols, int block);
/* Create `b` on grid `to` and copy `a` (on `from`; both grids span the same
 * ranks) into it: the lower triangle only (PDTRMR2D) when `lower_only`,
 * else all of it (PDGEMR2D). Collective; on failure `b` is freed. */
ntk_status spectrum_redistribute(const ntk_grid *from, const ntk_dmatrix *a, const ntk_grid *to,
                                 int lower_only, ntk_dmatrix *b);

/* Solve on the layout spectrum_solve_layout gives; the eigenvectors come
 * back on `grid`. `theta` (lower triangle valid) is overwritten, or freed
 * when Theta moves to another layout. Collective. */
ntk_status spectrum_solve(const ntk_spectrum_spec *spec, const ntk_grid *grid,
                          ntk_dmatrix *theta, ntk_spectrum *spectrum);
/* The same with a memory limit per rank for auto (ntk_solver_site's
 * bytes_per_rank and bytes_besides_solver, as preflight planned them). */
typedef struct {
    double bytes_per_rank;
    double bytes_besides_solver;
} ntk_solve_budget;
/* spectrum_site_detect with the budget's limits in place of the node's
 * (budget NULL: the node's). Collective. */
ntk_status spectrum_site_within(MPI_Comm comm, const ntk_solve_budget *budget,
                                ntk_solver_site *site);
ntk_status spectrum_solve_within(const ntk_spectrum_spec *spec, const ntk_grid *grid,
                                 ntk_dmatrix *theta, const ntk_solve_budget *budget,
                                 ntk_spectrum *spectrum);
void spectrum_free(ntk_spectrum *spectrum);

/* kernel.precision float32's eigensolve (solve_float32.c): every pair
 * (spectrum.vectors) or every eigenvalue of the float32 Theta's lower
 * triangle (destroyed), on the assembly's grid, by the solver's float32
 * path (spectrum/eigensolver.h: pssyevd / pssyevr, ELPA single, the node
 * solver's ssyevd; auto picks among them as for float64), every library
 * error an error, the result checked with a float32 tolerance (FLOAT32
 * below). `budget` (NULL: none) as for spectrum_solve_within. Fills
 * `spectrum` as spectrum_solve does, with single_precision set, the eigenvectors in vectors_single, check.method "probes" (pairs) or
 * values_check "moments" (values). Solvers without a float32 path,
 * spectrum.top and other layouts are refused (NTK_ERR_JOB; the job's rules
 * refuse them first). Collective. */
ntk_status spectrum_solve_float32(const ntk_spectrum_spec *spec, const ntk_grid *grid,
                                  ntk_smatrix *theta, const ntk_solve_budget *budget,
                                  ntk_spectrum *spectrum);
/* The float32 check's tolerance for M: SPECTRUM_FLOAT32_CHECK_FACTOR sqrt(M) 2^-24. */
#define SPECTRUM_FLOAT32_CHECK_FACTOR 64.0
double spectrum_float32_tolerance(int64_t matrix_size);

/* Training modes (docs/design.md, "Training dynamics and modes").
 * `residual` is r = f_0 - y on every
 * rank, residual_rows x channels row-major: for the trace kernel N x k (row x,
 * channel o), for the full kernel (N k) x 1 (row x*k + o). NULL when the job
 * has no targets. Effective rank is (sum lambda)^2 / sum lambda^2 over the
 * computed eigenvalues; the condition number is lambda_max / lambda_min
 * (infinite when lambda_min <= 0). */
typedef struct {
    int64_t n_pairs;      /* modes: one per eigenpair found */
    double *rate;              /* eta lambda_i / (N k) */
    double *gd_factor;         /* |1 - rate_i|: discrete gradient-descent factor */
    int have_targets;
    double *target_energy;     /* sum_c (v_i . r_c)^2 / ||r||^2 */
    double *cumulative_energy;
    double residual_norm2;     /* ||r||^2 */
    double unresolved_energy;  /* 1 - sum of energies: outside the computed modes */
    int n_steps;
    int64_t steps[NTK_MAX_STEPS];
    double predicted_loss[NTK_MAX_STEPS];
    /* Top-k only (unresolved_energy > 0): the rest of the spectrum is below
     * lambda_k, so its energy decays no faster than exp(-2 rate_k t); with
     * that the loss is at least predicted_loss_lower (and at most
     * predicted_loss, which keeps it constant). */
    int have_loss_lower_bound;
    double predicted_loss_lower[NTK_MAX_STEPS];
    double lambda_max, lambda_min, condition_number, effective_rank;
    double largest_stable_learning_rate; /* 2 N k / lambda_max */
    double loss_normaliser;    /* N k: the loss is 1/(2 N k) sum of squared residuals */
} ntk_modes;

/* `n_inputs` N and `k` as in the rates; `residual` as above or NULL.
 * Collective (projections of the residual on distributed eigenvectors). */
ntk_status modes_compute(const ntk_dynamics_spec *dynamics, const ntk_spectrum *spectrum,
                         const ntk_grid *grid, int64_t n_inputs, int k,
                         const double *residual, int64_t residual_rows, int channels,
                         ntk_modes *modes);
void modes_free(ntk_modes *modes);

/* The predicted loss L(t) at a (possibly fractional) step t from the modes
 * (have_targets must be set): the formula of docs/design.md
 * ("Training dynamics and modes"), with the
 * energy outside the computed modes kept constant. modes->predicted_loss[j]
 * is this at modes->steps[j]. */
double modes_predicted_loss_at(const ntk_modes *modes, double step);
/* The lower bound at step t (see have_loss_lower_bound). */
double modes_predicted_loss_lower_at(const ntk_modes *modes, double step);

#endif
