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
#include "job/job.h"

typedef struct {
    int64_t n_inputs, input_dim, k, m_rows, n_params;
    int ranks, grid_rows, grid_cols, block;
    /* bytes per rank (the largest over ranks) */
    double bytes_inputs, bytes_features, bytes_theta, bytes_vectors, bytes_solver;
    double bytes_peak;
    /* floating-point operations, all ranks together */
    double flops_features, flops_assembly, flops_solver;
    double flops_check;        /* the eigenpair residual check (spectrum/verify.c) */
    double seconds_estimate;   /* rough wall time on `ranks` ranks */
    /* The rest of the breakdown (plan.c documents every formula). */
    const ntk_job *job;        /* the job planned (for advice in messages) */
    const char *method;        /* "structured", "jacobian", "analytic" */
    ntk_solver solver;         /* the solver auto resolves to */
    const char *solver_reason; /* why (spectrum_resolve_solver_at) */
    int64_t eigenpairs;        /* M, or spectrum.top */
    int lower_only;            /* the kernel fills the lower triangle only */
    double bytes_model;        /* all parameters, on every rank */
    double bytes_theta_copy;   /* training.kernel_after keeps the initial Theta */
    double bytes_output;       /* eigenvalues and modes on every rank */
    double bytes_baseline;     /* the process before any job data (libraries) */
    /* what coexists in each phase; bytes_peak is the largest */
    double bytes_phase_assembly, bytes_phase_solve, bytes_phase_output;
    const char *peak_phase;    /* "assembly", "eigensolve" or "output" */
} ntk_plan;

/* Plan for `ranks` processes. Needs the input shape (data_shape). Rank-local. */
ntk_status plan_make(const ntk_job *job, int64_t n_inputs, int64_t input_dim, int ranks,
                     ntk_plan *plan);

/* Memory a rank may use: the scheduler's limit when there is one
 * (SLURM_MEM_PER_CPU / SLURM_MEM_PER_NODE), else MemAvailable of this node
 * divided by the ranks on it. Collective over comm (counts ranks per node). */
ntk_status plan_memory_per_rank(MPI_Comm comm, double *bytes);

/* NTK_ERR_MEMORY with the numbers when the peak does not fit in `bytes`. */
ntk_status plan_check_fits(const ntk_plan *plan, double bytes_per_rank);

/* Smallest rank count whose peak fits in `bytes_per_rank` (0 when none up to 2^20). */
int plan_min_ranks(const ntk_job *job, int64_t n_inputs, int64_t input_dim,
                   double bytes_per_rank);

void plan_print(const ntk_plan *plan, FILE *out, int as_yaml);

#endif
