/* Batches of Gram matrices: a job's `sweep:` maps key paths to lists; every
 * point of their product is one run (pipeline_run) in its own subdirectory
 * named after its values (e.g. "model.seed=1,model.layers[0].dense=256" made
 * filesystem-safe), and sweep.csv gets one row per point. Points already
 * complete (their summary.yaml exists) are skipped on a rerun. */
#ifndef NTK_SWEEP_SWEEP_H
#define NTK_SWEEP_SWEEP_H

#include <mpi.h>

#include "cli/commands.h"
#include "core/status.h"
#include "job/job.h"

/* Number of points of the product (1 when the job has no sweep). */
int64_t sweep_points(const ntk_job *job);

/* Run every point, or only `point` (>= 0, for job arrays). Collective. */
ntk_status sweep_run(const ntk_cli_options *options, const ntk_job *job, long point,
                     MPI_Comm comm);

#endif
