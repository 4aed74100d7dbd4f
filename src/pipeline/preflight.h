/* The checks a run makes before it computes or writes anything, shared by
 * `ntkgram run` and `ntkgram validate` so that validate refuses exactly the
 * jobs run refuses (same exit code, same message):
 *   the data shape (inputs and targets), grid.shape against the number of
 *   ranks, spectrum.top against M, and the memory plan (plan_make and
 *   plan_check_fits against the memory each rank has) for the block the run
 *   will use (grid.block clamped to M).
 * Collective over `comm`; every failure is agreed on by all ranks. */
#ifndef NTK_PIPELINE_PREFLIGHT_H
#define NTK_PIPELINE_PREFLIGHT_H

#include <mpi.h>

#include "core/status.h"
#include "job/job.h"
#include "pipeline/inputs.h"
#include "predict/linear_solver.h"

typedef struct {
    ntk_data_shape shape;
    int64_t m_rows;              /* M: N, or N k for full kernels */
    int grid_rows, grid_cols;    /* the BLACS grid the run will use */
    int block;                   /* grid.block, clamped to M: a block larger than the
                                  * matrix only wastes memory and breaks ScaLAPACK's
                                  * workspace formulas */
    int features_stored;         /* matrix_free: the plan's choice of spectrum.features */
    /* spectrum.solver auto: the memory per rank and what the plan holds
     * besides the solver during the eigensolve (spectrum_solve_within) */
    double bytes_per_rank, bytes_besides_solver;
    /* predict.solver resolved (NULL without predictions) and why; Theta is
     * copied before the eigensolve when that solver factors it */
    const ntk_linear_solver_ops *linear;
    char linear_why[512];
    int keep_theta_for_predict;
    /* predict.solver cg multiplies by J (J^T V) (predict.operator resolved);
     * with spectrum.solver none Theta is then never assembled; why, when
     * predict.operator auto chose it (the plan's predict_operator_why) */
    int predict_matrix_free;
    char predict_operator_why[256];
} ntk_preflight;

ntk_status preflight_check(const ntk_job *job, MPI_Comm comm, ntk_preflight *result);

#endif
