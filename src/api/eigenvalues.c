/* Eigenvalues for the public interface: the job's dense eigensolver on a
 * copy of the session's Theta (which stays for later calls), values only. */
#include "api/session.h"

#include <string.h>

#include "spectrum/spectrum.h"

static ntk_status eigenvalues(ntk_session *session, double *values, int64_t capacity,
                              int64_t *found)
{
    ntk_spectrum_spec spec = session->job.spectrum;
    if (spec.solver == NTK_SOLVER_MATRIX_FREE)
        return NTK_RAISE(NTK_ERR_JOB,
                         "%s: spectrum.solver matrix_free never assembles Theta; "
                         "ntk_eigenvalues solves the assembled Theta (use another solver, "
                         "or `ntkgram run`)",
                         session->job.path);
    spec.vectors = 0;
    const int64_t wanted = spectrum_kept_pairs(&spec, session->checked.m_rows);
    NTK_TRY(ntk_agree(!values || capacity < wanted
                          ? NTK_RAISE(NTK_ERR_USAGE,
                                      "ntk_eigenvalues: room for %lld values on rank %d, %lld "
                                      "needed",
                                      (long long)(values ? capacity : 0), session->rank,
                                      (long long)wanted)
                          : NTK_OK,
                      session->comm));
    NTK_TRY(session_theta(session));
    ntk_dmatrix copy;
    const int64_t m = session->theta.rows;
    NTK_TRY(ntk_agree(dmatrix_create(&session->grid, m, m, &copy), session->comm));
    memcpy(copy.data, session->theta.data,
           sizeof(double) * (size_t)(session->theta.local_rows * session->theta.local_cols));
    ntk_spectrum spectrum;
    ntk_status status = spectrum_solve(&spec, &session->grid, &copy, &spectrum);
    dmatrix_destroy(&copy);
    NTK_TRY(status);
    memcpy(values, spectrum.values, sizeof(double) * (size_t)spectrum.n_pairs);
    *found = spectrum.n_pairs;
    spectrum_free(&spectrum);
    return NTK_OK;
}

int ntk_eigenvalues(ntk_session *session, double *values, int64_t capacity, int64_t *found)
{
    if (!session || !found)
        return session_result(NTK_RAISE(NTK_ERR_USAGE, "ntk_eigenvalues: session or found is NULL"));
    ntk_error_clear();
    *found = 0;
    return session_result(eigenvalues(session, values, capacity, found));
}
