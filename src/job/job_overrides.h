/* The override list of a job load, built in one place.
 *
 * Every command loads its job the same way: the job file, then the command
 * line's --set options in order, then --out as output.dir (so it wins over
 * --set output.dir), and, for one point of a sweep, the point's values and
 * output.dir=<its folder>. `run`, `validate`, `plan` and the sweep all call
 * job_request_load, so a point planned is the point run. */
#ifndef NTK_JOB_JOB_OVERRIDES_H
#define NTK_JOB_JOB_OVERRIDES_H

#include "core/status.h"
#include "job/job.h"

/* The command line's part of every job load. */
typedef struct {
    const char *job_path;
    ntk_override overrides[NTK_MAX_OVERRIDES]; /* --set, in order */
    int n_overrides;
    const char *out_dir; /* --out DIR, NULL when not given */
} ntk_job_request;

/* One sweep point's part: its values (key=value per sweep key) and its folder. */
typedef struct {
    const ntk_override *values;
    int n_values;
    const char *dir;
} ntk_job_point;

/* The overrides in the order they apply (a later one wins). `point` is NULL
 * for the job as written. `out` has room for NTK_MAX_JOB_OVERRIDES entries.
 * NTK_ERR_USAGE when --set options plus a point's keys exceed NTK_MAX_OVERRIDES,
 * or --out does not fit an override. */
ntk_status job_request_overrides(const ntk_job_request *request, const ntk_job_point *point,
                                 ntk_override *out, int *count);

/* job_load with those overrides. Rank-local. */
ntk_status job_request_load(const ntk_job_request *request, const ntk_job_point *point,
                            ntk_job *job);

#endif
