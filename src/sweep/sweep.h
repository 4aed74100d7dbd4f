/* Batches of Gram matrices: a job's `sweep:` maps key paths to lists; every
 * point of their product is one run (pipeline_run) in its own subdirectory
 * of output.dir named after its values in key order, characters other than
 * [A-Za-z0-9._-+=,] replaced by '_' (e.g. "model.layers_0_.dense=256,model.seed=1";
 * sweep/point.h), and sweep.csv gets one row per point (sweep/table.h).
 * Points are numbered like itertools.product (first key slowest). Points
 * already complete (summary.yaml and point.csv exist) are skipped on a rerun,
 * and each point's job is the job file with --set, --out, the point's values
 * and output.dir=<point dir> applied, in that order. */
#ifndef NTK_SWEEP_SWEEP_H
#define NTK_SWEEP_SWEEP_H

#include <mpi.h>

#include "core/status.h"
#include "job/job.h"
#include "job/job_overrides.h"

/* Number of points of the product (1 when the job has no sweep). */
int64_t sweep_points(const ntk_job *job);

/* Run every point, or only `point` (>= 0, for job arrays). Collective. */
ntk_status sweep_run(const ntk_job_request *request, const ntk_job *job, long point,
                     MPI_Comm comm);

#endif
