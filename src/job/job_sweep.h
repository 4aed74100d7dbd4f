/* Checking a job's sweep against the job itself (see job_sweep.c); reading
 * the sweep: section is job_read_sweep in job_sections.h.
 *
 * Internal to src/job/.
 */
#ifndef NTK_JOB_JOB_SWEEP_H
#define NTK_JOB_JOB_SWEEP_H

#include "job/job.h"
#include "job/job_tree.h"

/* Apply every sweep value in turn to a copy of `root` (the job tree with its
 * overrides applied) and validate the result; the first failure is raised
 * as "<file>:<line>:<col>: sweep.<key>[i]: <problem>". */
ntk_status job_check_sweep(const job_context *context, const job_node *root, const ntk_job *job);

#endif
