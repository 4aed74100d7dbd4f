/* One run of a job, start to finish: the data flow of docs/design.md, "Data flow".
 *
 *   job -> inputs (own block) -> model -> kernel tiles -> theta.npy
 *       -> eigensolver -> modes -> outputs [-> training]
 *
 * Collective over `comm`. Outputs go to job->output.dir. On failure nothing
 * is left under a final file name. */
#ifndef NTK_PIPELINE_PIPELINE_H
#define NTK_PIPELINE_PIPELINE_H

#include <mpi.h>

#include "core/status.h"
#include "job/job.h"

/* Figures of a finished run (the same on every rank), e.g. for sweep.csv. */
typedef struct {
    int64_t n_inputs, m_rows;
    double lambda_max, lambda_min, effective_rank, largest_stable_learning_rate;
    int have_spectrum;
    double wall_seconds;
    double analytic_distance;  /* ||Theta_emp - Theta_inf|| / ||Theta_inf||, or -1 */
} ntk_run_result;

ntk_status pipeline_run(const ntk_job *job, MPI_Comm comm, ntk_run_result *result);

/* One piece of a job array (ntkgram run --piece I/K, docs/cluster.md):
 * only the assembly steps s of Theta with s mod K == I, saved to
 * <checkpoint.dir>/theta.piece-I-of-K.ckpt; nothing else is computed and
 * nothing in output.dir is touched. A later pipeline_run of the same job on
 * the same grid reads every piece file, computes what they lack and goes
 * on as usual: its Theta is bit-identical to an uninterrupted run's.
 * kernel.kind analytic only (the caller checks); collective. */
typedef struct {
    int index, count;
} ntk_run_piece;
ntk_status pipeline_run_piece(const ntk_job *job, MPI_Comm comm, ntk_run_piece piece,
                              ntk_run_result *result);

#endif
