/* The eigensolver registry (see spectrum/eigensolver.h): one line per
 * solver. Adding a solver is its family folder's file with an ops table and
 * one line here (docs/solvers.md). The order is only the listing's; auto
 * ranks by the tables' measured seconds scaled to M by their flops
 * (workspace.c). */
#include "spectrum/eigensolver.h"

#include <string.h>

static const ntk_eigensolver_ops *const registry[] = {
    &spectrum_pdsyevd_ops,
    &spectrum_pdsyevr_ops,
    &spectrum_elpa_ops,
    &spectrum_elpa1_ops,
    &spectrum_lapack_ops,
    &spectrum_matrix_free_ops,
};

int eigensolver_count(void) { return (int)(sizeof registry / sizeof registry[0]); }

const ntk_eigensolver_ops *eigensolver_at(int index)
{
    return index >= 0 && index < eigensolver_count() ? registry[index] : NULL;
}

const ntk_eigensolver_ops *eigensolver_find(ntk_solver id)
{
    for (int i = 0; i < eigensolver_count(); ++i)
        if (registry[i]->id == id)
            return registry[i];
    return NULL;
}

int eigensolver_has(ntk_solver id, unsigned capability)
{
    const ntk_eigensolver_ops *ops = eigensolver_find(id);
    return ops != NULL && (ops->capabilities & capability) == capability;
}

eigensolver_kind eigensolver_request_kind(const ntk_spectrum_spec *spec, int64_t matrix_size)
{
    (void)matrix_size; /* spectrum.top = M still asks for "the top M" */
    if (spec->top > 0)
        return EIGENSOLVER_KIND_TOP_K;
    return spec->vectors ? EIGENSOLVER_KIND_ALL_PAIRS : EIGENSOLVER_KIND_VALUES;
}

int eigensolver_capable(const ntk_eigensolver_ops *ops, const ntk_spectrum_spec *spec,
                        int64_t matrix_size)
{
    if (ops->available != NULL && !ops->available())
        return 0;
    if (spec->float32) {
        /* exactly what is asked: the float32 check is for every pair (probes)
         * or every eigenvalue (moments), and no solver drops vectors here */
        const unsigned single = ops->float32_capabilities;
        return ops->solve_float32 != NULL &&
               (ops->float32_available == NULL || ops->float32_available()) && spec->top == 0 &&
               (single & EIGENSOLVER_ALL_PAIRS) &&
               (single & (spec->vectors ? EIGENSOLVER_VECTORS : EIGENSOLVER_VALUES_ONLY));
    }
    const unsigned caps = ops->capabilities;
    if (spec->vectors && !(caps & EIGENSOLVER_VECTORS))
        return 0;
    /* fewer than asked: only one that computes eigenvectors anyway may
     * drop them */
    if (!spec->vectors && !(caps & (EIGENSOLVER_VALUES_ONLY | EIGENSOLVER_ALWAYS_VECTORS)))
        return 0;
    (void)matrix_size;
    const int top = spec->top > 0;
    return top ? (caps & EIGENSOLVER_TOP_K) != 0 : (caps & EIGENSOLVER_ALL_PAIRS) != 0;
}

const char *eigensolver_short_of(const ntk_eigensolver_ops *ops, const ntk_spectrum_spec *spec)
{
    const unsigned caps = ops->capabilities;
    /* Less than it computes is always honoured: eigenvalues without the
     * vectors it computes anyway, the top k of all M pairs. */
    if (spec->vectors && !(caps & EIGENSOLVER_VECTORS))
        return "spectrum.vectors";
    if (spec->top == 0 && !(caps & EIGENSOLVER_ALL_PAIRS))
        return "spectrum.top";
    if (spec->top > 0 && !(caps & (EIGENSOLVER_TOP_K | EIGENSOLVER_ALL_PAIRS)))
        return "spectrum.top";
    return NULL;
}

ntk_status spectrum_check_request(const ntk_spectrum_spec *spec, ntk_solver solver)
{
    const ntk_eigensolver_ops *ops = eigensolver_find(solver);
    const char *key = ops != NULL ? eigensolver_short_of(ops, spec) : NULL;
    if (key == NULL)
        return NTK_OK;
    if (strcmp(key, "spectrum.vectors") == 0)
        return NTK_RAISE(NTK_ERR_JOB,
                         "spectrum.vectors: true asks for eigenvectors, which spectrum.solver %s "
                         "does not compute; set spectrum.vectors: false or use another solver",
                         ops->name);
    char where[NTK_PATH_MAX + 64];
    job_location_text(&spec->top_where, where, sizeof where);
    return NTK_RAISE(NTK_ERR_JOB,
                     "%s: spectrum.top: %lld asks for %s, more than spectrum.solver %s computes",
                     where, (long long)spec->top,
                     spec->top == 0 ? "every eigenpair" : "the top k eigenpairs", ops->name);
}
