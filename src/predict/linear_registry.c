/* The linear-solver registry (see predict/linear_solver.h): one line per
 * solver, and predict.solver's auto rule. Adding a solver is its family
 * folder's file with an ops table and one line here (docs/solvers.md). */
#include "predict/linear_solver.h"

#include <stdio.h>
#include <string.h>

#include "core/location.h"

static const ntk_linear_solver_ops *const registry[] = {
    &predict_eigen_ops,
    &predict_cholesky_ops,
    &predict_cg_ops,
};

int linear_solver_count(void) { return (int)(sizeof registry / sizeof registry[0]); }

const ntk_linear_solver_ops *linear_solver_at(int index)
{
    return index >= 0 && index < linear_solver_count() ? registry[index] : NULL;
}

const ntk_linear_solver_ops *linear_solver_find(ntk_linear_solver id)
{
    for (int i = 0; i < linear_solver_count(); ++i)
        if (registry[i]->id == id)
            return registry[i];
    return NULL;
}

int linear_solver_available(const ntk_linear_solver_ops *ops)
{
    return ops != NULL && (ops->available == NULL || ops->available());
}

void linear_solver_workspace(const ntk_linear_solver_ops *ops, const linear_request *request,
                             ntk_linear_workspace *workspace)
{
    memset(workspace, 0, sizeof *workspace);
    if (ops->workspace != NULL)
        ops->workspace(request, workspace);
    workspace->peak_bytes =
        workspace->theta_copy_bytes + workspace->matrix_bytes + workspace->vector_bytes;
}

static const char *unfit(const ntk_linear_solver_ops *ops, const linear_request *request)
{
    return ops->unfit != NULL ? ops->unfit(request) : NULL;
}

/* Its workspace within the memory per rank besides what the run holds. */
static int fits(const ntk_linear_solver_ops *ops, const linear_request *request)
{
    if (request->bytes_per_rank <= 0.0)
        return 1;
    ntk_linear_workspace workspace;
    linear_solver_workspace(ops, request, &workspace);
    return request->bytes_besides + workspace.peak_bytes <= request->bytes_per_rank;
}

static ntk_status refuse(const linear_request *request, const char *format, const char *name,
                         const char *reason)
{
    char where[NTK_PATH_MAX + 64];
    job_location_text(&request->spec->solver_where, where, sizeof where);
    char message[768];
    snprintf(message, sizeof message, format, name, reason);
    /* a --set location names the key already */
    const char *key = request->spec->solver_where.line > 0 ? " predict.solver:" : "";
    return NTK_RAISE(NTK_ERR_JOB, "%s:%s %s", where, key, message);
}

ntk_status linear_solver_choose(const linear_request *request, const ntk_linear_solver_ops **ops,
                                char *why, size_t why_size)
{
    *ops = NULL;
    const ntk_predict_spec *spec = request->spec;
    if (spec->solver != NTK_LINEAR_AUTO) {
        const ntk_linear_solver_ops *chosen = linear_solver_find(spec->solver);
        const char *name = predict_solver_name(spec->solver);
        if (!linear_solver_available(chosen))
            return refuse(request, "%s is not available in this build%s", name,
                          chosen != NULL && chosen->alternative != NULL
                              ? "; use cholesky or eigen"
                              : "");
        const char *reason = unfit(chosen, request);
        if (reason != NULL)
            return refuse(request, "%s cannot solve this job: %s", name, reason);
        *ops = chosen;
        snprintf(why, why_size, "predict.solver: %s", name);
        return NTK_OK;
    }
    /* auto. The eigenpairs, when the run computes them anyway, cost only
     * two products more; finite t needs them. */
    const ntk_linear_solver_ops *eigen = linear_solver_find(NTK_LINEAR_EIGEN);
    if (request->spectrum_has_vectors && unfit(eigen, request) == NULL) {
        *ops = eigen;
        snprintf(why, why_size, "the run computes every eigenpair with its vector anyway");
        return NTK_OK;
    }
    if (spec->n_steps > 0 && spec->steps_given)
        return refuse(request, "%s: %s", "auto",
                      "predict.steps asks for finite t, which needs every eigenpair with its "
                      "vector (spectrum.solver not none or matrix_free, spectrum.vectors: true, "
                      "spectrum.top: 0)");
    const ntk_linear_solver_ops *cholesky = linear_solver_find(NTK_LINEAR_CHOLESKY);
    const char *cholesky_unfit = unfit(cholesky, request);
    if (cholesky_unfit == NULL && fits(cholesky, request)) {
        *ops = cholesky;
        snprintf(why, why_size,
                 "only t = infinity is asked and Theta with its Cholesky factor fits the memory "
                 "per rank");
        return NTK_OK;
    }
    const ntk_linear_solver_ops *cg = linear_solver_find(NTK_LINEAR_CG);
    if (linear_solver_available(cg) && unfit(cg, request) == NULL) {
        *ops = cg;
        snprintf(why, why_size, "%s: conjugate gradients on products",
                 cholesky_unfit != NULL ? cholesky_unfit
                                        : "Theta with its Cholesky factor exceeds the memory "
                                          "per rank");
        return NTK_OK;
    }
    return refuse(request, "%s finds no solver: %s, and cg is not available in this build",
                  "auto",
                  cholesky_unfit != NULL ? cholesky_unfit
                                         : "Theta with its Cholesky factor exceeds the memory "
                                           "per rank");
}
