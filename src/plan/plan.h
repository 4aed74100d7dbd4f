/* Sizing a job before computing it: memory per rank for each phase, flops
 * per phase, the grid, and whether it fits. `ntkgram plan` prints it; `run`
 * refuses a job that will not fit before allocating anything large.
 *
 * The estimate follows what the code allocates (see kernel/structured.c,
 * spectrum/solve.c): local Theta, feature sets for local rows and columns,
 * eigenvectors and solver workspace. */
#ifndef NTK_PLAN_PLAN_H
#define NTK_PLAN_PLAN_H

#include <stdint.h>
#include <stdio.h>

#include "core/status.h"
#include "plan/plan_config.h"
#include "model/model.h"
#include "model/layer.h"

typedef struct {
    int64_t n_inputs, input_dim, k, m_rows, n_params;
    ntk_shape input;           /* one input's shape (input_dim values) */
    int ranks, grid_rows, grid_cols, block;
    /* bytes per rank (the largest over ranks) */
    double bytes_inputs, bytes_features, bytes_theta, bytes_vectors, bytes_solver;
    double bytes_peak;
    /* floating-point operations, all ranks together */
    double flops_features, flops_assembly, flops_solver;
    double flops_check;        /* the eigenpair residual check (spectrum/verify.c) */
    double seconds_estimate;   /* rough wall time on `ranks` ranks */
    /* The rest of the breakdown (plan.c documents every formula). */
    ntk_plan_config config;    /* the job planned (for advice in messages); path NULL: none */
    const char *method;        /* "structured", "jacobian", "analytic" */
    ntk_solver solver;         /* the solver auto resolves to */
    const char *solver_reason; /* why (spectrum_resolve_solver_at) */
    int64_t eigenpairs;        /* M, or spectrum.top */
    int lower_only;            /* the kernel fills the lower triangle only */
    double bytes_model;        /* all parameters, on every rank */
    double bytes_theta_copy;   /* training.kernel_after keeps the initial Theta */
    /* after the eigensolve, next to the eigenvectors: diagnostics.per_layer's
     * one Theta_l at a time and its features, or training.kernel_every's
     * previous and current kernels and features, whichever is larger */
    double bytes_extra_kernels;
    const char *extra_kernels_reason;
    /* before the eigensolve, next to Theta (plan_diagnostics.c): the measured
     * learning curve's n x n matrix and exchange buffers, or
     * diagnostics.compare_weights' second kernel and its features, whichever
     * is larger; bytes_phase_diagnostics is that phase (0 without them) */
    double bytes_diagnostics, bytes_phase_diagnostics;
    const char *diagnostics_reason;
    double bytes_output;       /* eigenvalues and modes on every rank */
    double bytes_baseline;     /* the process before any job data (libraries) */
    /* what coexists in each phase; bytes_peak is the largest */
    double bytes_phase_assembly, bytes_phase_solve, bytes_phase_output;
    /* The eigensolve's layout (spectrum.grid, spectrum.block) and, when it
     * differs from the assembly's, the peak while Theta moves there or the
     * eigenvectors move back (spectrum_layout_move_bytes); 0 otherwise. */
    int solve_rows, solve_cols, solve_block, solve_moved;
    double bytes_redistribute;
    double bytes_theta_solve;  /* Theta's local part on the solve layout (bytes_theta if not moved) */
    /* what the eigensolve phase holds besides the solver's eigenvectors and
     * workspace (the base auto weighs a solver's planned peak against) */
    double bytes_besides_solver;
    double memory_limit;       /* the limit auto chose within (0: none) */
    const char *peak_phase;    /* "assembly", "diagnostics", "eigensolve", "output" or "predict" */
    /* Held-out inputs (data.test_inputs; plan_cross.c): 0 / 0.0 without */
    int64_t n_test;
    double bytes_cross;        /* the local part of the cross kernel */
    double bytes_predict;      /* the predictions' arrays, on every rank */
    double bytes_phase_predict;/* the cross kernel and predictions, next to the eigenvectors */
    double flops_cross, flops_predict;
    /* predict.solver (predict/linear_solver.h) as the run will resolve it:
     * its name and why (NULL without predictions), its own memory per rank
     * (factor, vectors) and the copy of Theta kept through the eigensolve
     * for it (also in the eigensolve and output phases), its flops (in
     * flops_predict) */
    const char *linear_solver;
    char linear_why[256];
    double bytes_linear, bytes_linear_theta_copy, flops_linear;
    /* predict.solver cg on J (J^T V) products, Theta never assembled:
     * predict.operator matrix_free, or auto when the stored Theta's plan
     * does not fit the memory per rank (plan_fit_predict_operator; the
     * reason in predict_operator_why, empty when the job asked for it) */
    int predict_matrix_free;
    char predict_operator_why[256];
    /* structured kernels: the form each conv layer takes, from its costs
     * (flops per Theta entry of both forms) */
    int n_forms;
    struct {
        int layer;
        const char *type; /* the layer's type: conv, batch_norm, ... */
        const char *form;
        double block_flops, pairwise_flops;
        int64_t block_rows;      /* Jacobian block: its rows (conv: output channels) */
        int64_t chunk_rows;      /* rows per chunk pass; 0: kept whole in the features */
        int64_t pair_channels, pair_depth, chunk_depth; /* a chunked pairwise layer: its
                                  * output channels and patch columns, and the columns
                                  * per pass (chunk_rows: its channels per pass) */
        char key[96];            /* its nested path in a model with blocks, else "" */
    } forms[16];
    /* analytic kernels of conv nets (kernel/analytic_spatial.c): the form
     * of each layer's input state, its positions and flops per pair;
     * n_analytic_layers 0 for dense nets on flat inputs */
    int n_analytic_layers;
    struct {
        const char *type;
        const char *form;        /* "all pairs" or "matching positions" */
        int64_t positions;
        double flops;
        char key[96];            /* its nested path in a model with blocks, else "" */
    } analytic_layers[NTK_MAX_LAYERS];
    double analytic_pair_flops;  /* per pair of inputs, NTK and NNGP together */
    /* conv nets: the estimated seconds of one pair on one rank, and of the
     * longest assembly step (the unit between checkpoints: local rows x one
     * block of columns) */
    double analytic_entry_seconds, analytic_step_seconds;
    int64_t analytic_step_rows;  /* the most local rows' inputs a rank holds */
    int64_t analytic_stats_doubles; /* per input: the activations' variances */
    double analytic_work_doubles;   /* the recursion's four states of the largest layer */
    /* structured kernels: parameter chunks (kernel.h, kernel_structured_chunking) */
    double chunk_budget_bytes;   /* kernel.chunk_mib */
    int64_t chunk_passes;        /* 0: every block kept whole */
    double bytes_features_resident, bytes_features_chunks; /* the two stages; features = larger */
    double chunk_tile_flops_per_pair; /* chunked pairwise layers: their passes' extra tile
                                       * flops per Theta entry (in flops_assembly) */
    double flops_chunk_features; /* the chunk passes' recomputed forward/backward (in flops_features) */
    double flops_forward_backward; /* structured: one forward pass and one backward pass (k
                                    * logits) of every input, the least the Jacobians cost */
    double block_doubles;        /* per input: the packed width of the layers that may be chunked */
    /* spectrum.solver matrix_free (no Theta; spectrum/workspace.c) */
    int matrix_free_stored;    /* features kept (1) or recomputed per product (0) */
    int64_t basis_size;        /* PARPACK's ncv */
    double products_estimate;  /* Theta-vector products, the check's included */
    double product_flops;      /* one product, all ranks */
} ntk_plan;

/* Plan for `ranks` processes. Needs the input shape (data_shape). Rank-local. */
ntk_status plan_make(const ntk_plan_config *config, int64_t n_inputs, int64_t input_dim, int ranks,
                     ntk_plan *plan);
/* The same for inputs of any shape (conv layers need (H, W, C) or (L, C)). */
ntk_status plan_make_shaped(const ntk_plan_config *config, int64_t n_inputs, const ntk_shape *input,
                            int ranks, ntk_plan *plan);

/* plan_make_shaped with a memory limit per rank for spectrum.solver auto
 * (0: none): it picks the fastest solver whose planned peak fits, and the
 * fastest when none does (plan_check_fits then refuses the job). */
ntk_status plan_make_within(const ntk_plan_config *config, int64_t n_inputs, const ntk_shape *input,
                            int ranks, double bytes_per_rank, ntk_plan *plan);

/* The held-out part of a plan (plan_cross.c): reads data.test_inputs' shape
 * (a header, not the data) and fills n_test, bytes_cross, bytes_predict,
 * bytes_phase_predict, flops_cross and flops_predict from the other fields
 * plan_make has set; `bytes_tiles` is the structured kernel's tile
 * temporaries. Rank-local. */
ntk_status plan_cross(const ntk_plan_config *config, const model_costs *costs, int64_t n_params,
                      double bytes_tiles, ntk_plan *plan);

/* The diagnostics before the eigensolve (plan_diagnostics.c): fills
 * bytes_diagnostics and diagnostics_reason from the fields plan_make has
 * set (grid, block, sizes, theta, features, model). Rank-local. */
void plan_diagnostics(const ntk_plan_config *config, ntk_plan *plan);
/* The measured learning curve's own memory per rank for its largest size n. */
double plan_learning_curve_bytes(const ntk_plan *plan, int64_t largest_n);

/* Memory a rank may use: the scheduler's limit when there is one
 * (SLURM_MEM_PER_CPU / SLURM_MEM_PER_NODE), else MemAvailable of this node
 * divided by the ranks on it. Collective over comm (counts ranks per node). */
ntk_status plan_memory_per_rank(MPI_Comm comm, double *bytes);

/* spectrum.features auto (matrix_free): when the plan with stored features
 * does not fit in `bytes_per_rank`, plan again with features recomputed per
 * product. Other jobs are left as they are. Rank-local. */
ntk_status plan_fit_features(const ntk_plan_config *config, double bytes_per_rank, ntk_plan *plan);

/* predict.operator auto (predict.solver cg or auto, spectrum.solver none,
 * an empirical kernel): when the plan with the stored Theta does not fit in
 * `bytes_per_rank`, plan again with the matrix-free operator, if cg then
 * solves the job (predict_matrix_free, predict_operator_why). Other jobs
 * are left as they are. Rank-local. */
ntk_status plan_fit_predict_operator(const ntk_plan_config *config, double bytes_per_rank,
                                     ntk_plan *plan);
/* The job's time limit in seconds from NTK_TIME_LIMIT (Slurm's --time
 * formats; slurm/ntkgram.sbatch sets it from the job's), 0 when unset or
 * UNLIMITED; NTK_ERR_USAGE when it is not a time. Rank-local. */
ntk_status plan_time_limit(double *seconds);
/* NTK_ERR_JOB with plan's estimate when one assembly step of a conv net's
 * analytic kernel (the unit between checkpoints) would not fit in the time
 * limit less the stop warning: no checkpoint could ever be written. */
ntk_status plan_check_time(const ntk_plan *plan, double limit_seconds);

/* NTK_ERR_MEMORY with the numbers when the peak does not fit in `bytes`. */
ntk_status plan_check_fits(const ntk_plan *plan, double bytes_per_rank);

/* Smallest rank count whose peak fits in `bytes_per_rank` (0 when none up to 2^20). */
int plan_min_ranks(const ntk_plan_config *config, int64_t n_inputs, int64_t input_dim,
                   double bytes_per_rank);
int plan_min_ranks_shaped(const ntk_plan_config *config, int64_t n_inputs, const ntk_shape *input,
                          double bytes_per_rank);

void plan_print(const ntk_plan *plan, FILE *out, int as_yaml);

/* 1 when the job asks to multiply by J (J^T V) for predict.solver cg and
 * never assemble Theta (spectrum.solver none, predict.operator
 * matrix_free); auto's choice is the plan's predict_matrix_free. */
int plan_predict_matrix_free(const ntk_plan_config *config);

#endif
