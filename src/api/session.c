/* Sessions of the public interface: open (job, grid, inputs, model),
 * describe, close. The same steps as the first half of pipeline_run, without
 * outputs, checkpoints or signal handling (those belong to the program). */
#include "api/session.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "pipeline/inputs.h"

const char *ntk_version(void)
{
    return NTK_VERSION_STRING;
}

const char *ntk_last_error(void)
{
    return ntk_error_message();
}

int session_result(ntk_status status)
{
    return ntk_exit_code(status);
}

static ntk_status load_job(const char *job_path, const char *const *settings, int n_settings,
                           ntk_job *job)
{
    if (!job_path)
        return NTK_RAISE(NTK_ERR_USAGE, "ntk_session_open: no job file given");
    if (n_settings < 0 || n_settings > NTK_MAX_OVERRIDES || (n_settings > 0 && !settings))
        return NTK_RAISE(NTK_ERR_USAGE, "ntk_session_open: %d settings (at most %d)", n_settings,
                         (int)NTK_MAX_OVERRIDES);
    ntk_override overrides[NTK_MAX_OVERRIDES];
    for (int i = 0; i < n_settings; i++)
        NTK_TRY(job_parse_override(settings[i], &overrides[i]));
    NTK_TRY(job_load(job_path, overrides, n_settings, job));
    if (job->sweep.n_keys > 0)
        return NTK_RAISE(NTK_ERR_JOB,
                         "%s: a job with a sweep section is a set of jobs; open one point "
                         "(its values given as settings) per session",
                         job_path);
    return NTK_OK;
}

static ntk_status open_session(const char *job_path, const char *const *settings, int n_settings,
                               ntk_session *session)
{
    MPI_Comm comm = session->comm;
    ntk_status status = load_job(job_path, settings, n_settings, &session->job);
    NTK_TRY(ntk_agree(status, comm));
    NTK_TRY(preflight_check(&session->job, comm, &session->checked));
    const ntk_preflight *checked = &session->checked;
    NTK_TRY(grid_create(comm, checked->block, checked->grid_rows, checked->grid_cols,
                        &session->grid));
    session->have_grid = 1;
    status = inputs_read_own_block(&session->job, &checked->shape, session->rank, session->ranks,
                                   &session->inputs);
    NTK_TRY(ntk_agree(status, comm));
    status = model_create_shaped(&session->job.model, &checked->shape.input, &session->model);
    if (status == NTK_OK)
        session->have_model = 1;
    return ntk_agree(status, comm);
}

int ntk_session_open(const char *job_path, const char *const *settings, int n_settings,
                     MPI_Comm comm, ntk_session **session)
{
    ntk_error_clear();
    if (!session)
        return session_result(NTK_RAISE(NTK_ERR_USAGE, "ntk_session_open: session is NULL"));
    *session = NULL;
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized)
        return session_result(
            NTK_RAISE(NTK_ERR_USAGE, "ntk_session_open: MPI is not initialised (call MPI_Init first)"));
    ntk_session *opened = calloc(1, sizeof *opened);
    int allocated = opened != NULL, all_allocated = 0;
    /* Every rank learns whether any failed before the collective duplicate. */
    if (MPI_Allreduce(&allocated, &all_allocated, 1, MPI_INT, MPI_MIN, comm) != MPI_SUCCESS ||
        !all_allocated) {
        free(opened);
        return session_result(NTK_RAISE(NTK_ERR_MEMORY, "ntk_session_open: out of memory"));
    }
    if (MPI_Comm_dup(comm, &opened->comm) != MPI_SUCCESS) {
        free(opened);
        return session_result(NTK_RAISE(NTK_ERR_MPI, "ntk_session_open: MPI_Comm_dup failed"));
    }
    /* The modules check every MPI return code: errors must come back to them. */
    MPI_Comm_set_errhandler(opened->comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(opened->comm, &opened->rank);
    MPI_Comm_size(opened->comm, &opened->ranks);
    /* A library speaks only when something is wrong: errors and warnings. */
    ntk_log_init(opened->rank, 1);
    ntk_status status = open_session(job_path, settings, n_settings, opened);
    if (status != NTK_OK) {
        ntk_session_close(&opened);
        return session_result(status);
    }
    *session = opened;
    return NTK_RESULT_OK;
}

int ntk_session_describe(const ntk_session *session, ntk_description *description)
{
    if (!session || !description)
        return session_result(
            NTK_RAISE(NTK_ERR_USAGE, "ntk_session_describe: session or description is NULL"));
    const ntk_preflight *checked = &session->checked;
    memset(description, 0, sizeof *description);
    description->n_inputs = checked->shape.n_inputs;
    description->input_dim = checked->shape.input_dim;
    description->outputs = checked->shape.k;
    description->theta_rows = checked->m_rows;
    description->parameters = session->model.n_params;
    description->grid_rows = session->grid.rows;
    description->grid_cols = session->grid.cols;
    description->block = session->grid.block;
    return NTK_RESULT_OK;
}

void ntk_session_close(ntk_session **session)
{
    if (!session || !*session)
        return;
    ntk_session *closing = *session;
    dmatrix_destroy(&closing->theta);
    if (closing->have_model)
        model_destroy(&closing->model);
    inputs_free_block(&closing->inputs);
    if (closing->have_grid)
        grid_destroy(&closing->grid);
    MPI_Comm_free(&closing->comm);
    free(closing);
    *session = NULL;
}
