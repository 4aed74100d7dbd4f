/* Which run the files in output.dir belong to.
 *
 * Rule (README, Outputs): when a run starts (after the job and its data are
 * checked, before anything is computed), it removes the files an earlier run
 * left in output.dir under ntkgram's output names (summary.yaml first, then
 * theta.npy, nngp.npy, eigenvalues.npy, eigenvectors.npy, modes.csv,
 * spectrum.svg, training.csv, params.safetensors, the held-out and
 * diagnostics files, theta_layer_<l>.npy of every l; never a file the job
 * reads) and writes the marker .ntkgram-running (job name, job file, start
 * time, host, process). Only a run that succeeds removes the marker, after
 * summary.yaml. So every output file in the folder is from one run, and the
 * run finished exactly when summary.yaml is there and the marker is not.
 * Checkpoints (checkpoint.dir) are kept: a rerun resumes from them.
 *
 * The list of files a run wrote feeds its final log line. */
#ifndef NTK_PIPELINE_RUN_FILES_H
#define NTK_PIPELINE_RUN_FILES_H

#include <mpi.h>

#include "core/status.h"
#include "job/job.h"

enum { RUN_FILES_MAX = 32 };

typedef struct {
    int count;
    const char *names[RUN_FILES_MAX]; /* string literals */
} ntk_run_files;

#define RUN_MARKER_NAME ".ntkgram-running"

/* Clear the earlier run's outputs and write the marker. Collective. */
ntk_status run_files_begin(const ntk_job *job, MPI_Comm comm, ntk_run_files *files);

/* Record that `name` (a string literal) was written. */
void run_files_add(ntk_run_files *files, const char *name);

/* "summary.yaml, eigenvalues.npy, modes.csv" into `text`. */
void run_files_list(const ntk_run_files *files, char *text, size_t capacity);

/* Remove the marker after a successful run. Collective. */
ntk_status run_files_finish(const ntk_job *job, MPI_Comm comm);

#endif
