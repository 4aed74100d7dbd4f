/* What a finished sweep point was computed from, so a rerun skips a point
 * only when it would compute the same thing.
 *
 * A point's folder holds point.job.yaml: the hash of everything that
 * determines Theta (job_hash: data files by path, size and time, model,
 * kernel, grid) and the point's effective job as YAML (every key, defaults
 * filled in, the sweep values and --set options applied). A rerun whose
 * point job gives different text (the job file was edited, other --set
 * options, a changed data file) runs the point again instead of keeping
 * results of another computation. Rank-local (rank 0). */
#ifndef NTK_SWEEP_IDENTITY_H
#define NTK_SWEEP_IDENTITY_H

#include "core/status.h"
#include "job/job.h"

enum { SWEEP_IDENTITY_FILE_MAX = 1 << 20 };

#define SWEEP_IDENTITY_NAME "point.job.yaml"

/* The identity text of a point's job (malloc'ed, NUL-terminated). */
ntk_status sweep_identity_text(const ntk_job *point_job, char **text);

/* 1 when <point_dir>/point.job.yaml holds exactly `text`. */
int sweep_identity_matches(const char *point_dir, const char *text);

/* Write <point_dir>/point.job.yaml (atomically). */
ntk_status sweep_identity_write(const char *point_dir, const char *text);

#endif
