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

/* The job of one point, as the sweep runs it: the command line's --set
 * options, --out, the point's values (their messages point at them in the
 * job file), then output.dir=<output.dir>/<point name>, and a checkpoint.dir
 * of its own. Rank-local. */
ntk_status sweep_load_point(const ntk_job_request *request, const ntk_job *sweep_job,
                            int64_t point, ntk_job *point_job);

/* A failure of one point, named: "sweep point P of N (NAME): MESSAGE", with
 * the same status code. Returns `status` (NTK_OK unchanged). Call on every
 * rank after the ranks agreed (each holds the message). */
ntk_status sweep_name_point_failure(const ntk_job *sweep_job, int64_t point, ntk_status status);

/* Run every point, or only `point` (>= 0, for job arrays). Collective. */
ntk_status sweep_run(const ntk_job_request *request, const ntk_job *job, long point,
                     MPI_Comm comm);

#endif
