/* One builder for the override list of a job load (see job_overrides.h). */
#include "job/job_overrides.h"

#include <stdlib.h>

ntk_status job_request_overrides(const ntk_job_request *request, const ntk_job_point *point,
                                 ntk_override *out, int *count)
{
    int used = 0;
    for (int i = 0; i < request->n_overrides && i < NTK_MAX_OVERRIDES; ++i)
        out[used++] = request->overrides[i];
    if (request->out_dir != NULL)
        NTK_TRY(job_string_override("output.dir", request->out_dir, &out[used++]));
    if (point != NULL) {
        /* The point's own output.dir takes the last slot, beyond the limit. */
        if (used + point->n_values >= NTK_MAX_OVERRIDES)
            return NTK_RAISE(NTK_ERR_USAGE,
                             "too many overrides: --set options plus sweep keys exceed %d",
                             NTK_MAX_OVERRIDES);
        for (int i = 0; i < point->n_values; ++i)
            out[used++] = point->values[i];
        if (point->dir != NULL)
            NTK_TRY(job_string_override("output.dir", point->dir, &out[used++]));
    }
    *count = used;
    return NTK_OK;
}

ntk_status job_request_load(const ntk_job_request *request, const ntk_job_point *point,
                            ntk_job *job)
{
    ntk_override *overrides = NULL;
    NTK_TRY(NTK_CALLOC(overrides, NTK_MAX_JOB_OVERRIDES, "the job's overrides"));
    int count = 0;
    ntk_status status = job_request_overrides(request, point, overrides, &count);
    if (status == NTK_OK)
        status = job_load(request->job_path, overrides, count, job);
    free(overrides);
    NTK_TRY(status);
    return NTK_OK;
}
