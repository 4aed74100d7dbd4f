/* The library's public face (include/ntkgram/ntkgram.h) over the modules:
 * what a session holds. Private to src/api/. */
#ifndef NTK_API_SESSION_H
#define NTK_API_SESSION_H

#include <mpi.h>

#include "ntkgram/ntkgram.h"

#include "core/status.h"
#include "grid/grid.h"
#include "job/job.h"
#include "kernel/kernel.h"
#include "model/model.h"
#include "pipeline/preflight.h"

struct ntk_session {
    MPI_Comm comm; /* a duplicate of the caller's, errors returned */
    int rank, ranks;
    ntk_job job;
    ntk_preflight checked;
    ntk_grid grid;
    int have_grid;
    ntk_input_block inputs;
    ntk_model model;
    int have_model;
    ntk_dmatrix theta; /* whole (both triangles) once have_theta */
    int have_theta;
};

/* Theta, assembled on the first call. Collective. */
ntk_status session_theta(ntk_session *session);

/* The public result for an internal status (the command line's exit code). */
int session_result(ntk_status status);

#endif
