/* kernel.precision float32's eigensolve (spectrum.h, spectrum_solve_float32):
 * the solver's float32 path from its ops table (spectrum/eigensolver.h:
 * pssyevd/pssyevr in scalapack/, ELPA's single-precision API in elpa/, the
 * node solver's ssyevd in node/), around it what they share: the solver
 * auto or the layout fallback picks among those with a float32 path
 * (spectrum/workspace.c), the mirror for a solver that reads both
 * triangles, the negation, the scaling for a solver that does not scale
 * itself (ELPA: by a power of two, exact), and the check, the same for
 * every solver, with a float32 tolerance. Top-k subsets and other layouts
 * have no float32 path and are refused by the job's rules.
 *
 * As in float64, -Theta is solved so that its ascending eigenvalues are
 * Theta's descending ones with the eigenvectors in that order.
 *
 * The check:
 *   - every pair: before the solve, Y = (-Theta) X for 4 Gaussian probe
 *     columns X; after it, ||(V W V^T X - Y) c|| / (|w|_max ||X c||) per
 *     probe (the decomposition's residual in the probe directions: V W V^T
 *     = -Theta exactly for exact pairs) and ||(V V^T X - X) c|| / ||X c||
 *     (orthogonality and completeness);
 *   - values only: the moments, sum w = trace(-Theta) and sum w^2 =
 *     ||Theta||_F^2, relative to M |w|_max and sqrt(M) |w|_max.
 * The tolerance is SPECTRUM_FLOAT32_CHECK_FACTOR sqrt(M) u (u = 2^-24): a backward
 * stable float32 solver and the float32 products of the check each leave
 * errors of about sqrt(M) u in these norms when the roundings have random
 * signs. */
#include "spectrum/spectrum.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/random.h"
#include "grid/scalapack.h"
#include "spectrum/eigensolver.h"

enum { DESC_LLD = 8, FLOAT32_PROBES = 4 };
#define FLOAT32_PROBE_SEED UINT64_C(0x9e3779b97f4a7c15)

/* The probes of the every-pair check: X, Y = (-Theta) X taken before the
 * solve, and T for V^T X. */
typedef struct {
    ntk_smatrix x, y, t;
} float32_probes;

/* What a solve leaves besides the values: the eigenvectors (every pair)
 * and the check's two measures (orthogonality 0 for values only). */
typedef struct {
    ntk_smatrix vectors;
    double residual, orthogonality;
    double trace; /* Theta's, before the solve */
} float32_result;

static void probes_destroy(float32_probes *probes)
{
    smatrix_destroy(&probes->x);
    smatrix_destroy(&probes->y);
    smatrix_destroy(&probes->t);
}

/* Column sums of squares of a distributed M x FLOAT32_PROBES matrix, in
 * float64, on every rank. Collective. */
static ntk_status column_norms(const ntk_grid *grid, const ntk_smatrix *a, double *norms)
{
    double local[FLOAT32_PROBES] = {0.0};
    const int64_t lld = a->desc[DESC_LLD];
    for (int64_t lc = 0; lc < a->local_cols; ++lc) {
        const int64_t c = grid_global_index(lc, grid->block, grid->mycol, grid->cols);
        for (int64_t lr = 0; lr < a->local_rows; ++lr) {
            const double value = a->data[lc * lld + lr];
            local[c] += value * value;
        }
    }
    NTK_MPI(MPI_Allreduce(local, norms, FLOAT32_PROBES, MPI_DOUBLE, MPI_SUM, grid->comm));
    for (int c = 0; c < FLOAT32_PROBES; ++c)
        norms[c] = sqrt(norms[c]);
    return NTK_OK;
}

/* The eigenvalues from the process at grid (0, 0), which owns a part of the
 * matrix (pitfall of pdsyevd: ranks without one may hold wrong values; the
 * node solver's are on grid rank 0 alone). */
static ntk_status share_values(const ntk_grid *grid, float *w, int64_t n)
{
    int mine = grid->myrow == 0 && grid->mycol == 0 ? grid->rank : -1, root = -1;
    NTK_MPI(MPI_Allreduce(&mine, &root, 1, MPI_INT, MPI_MAX, grid->comm));
    NTK_MPI(MPI_Bcast(w, (int)n, MPI_FLOAT, root, grid->comm));
    return NTK_OK;
}

/* Gaussian probes X (the same on any grid: by global index) and
 * Y = (-Theta) X from the lower triangle of `a`, before the solve destroys
 * it. Collective. */
static ntk_status probes_take(const ntk_grid *grid, const ntk_smatrix *a, float32_probes *probes)
{
    const int64_t n = a->rows;
    const int size = (int)n, one = 1, count = FLOAT32_PROBES;
    memset(probes, 0, sizeof *probes);
    ntk_status status = smatrix_create(grid, n, FLOAT32_PROBES, &probes->x);
    if (status == NTK_OK)
        status = smatrix_create(grid, n, FLOAT32_PROBES, &probes->y);
    if (status == NTK_OK)
        status = smatrix_create(grid, n, FLOAT32_PROBES, &probes->t);
    status = ntk_agree(status, grid->comm);
    if (status != NTK_OK) {
        probes_destroy(probes);
        return status;
    }
    ntk_smatrix *x = &probes->x, *y = &probes->y;
    const int64_t lld = x->desc[DESC_LLD];
    for (int64_t lc = 0; lc < x->local_cols; ++lc) {
        const int64_t c = grid_global_index(lc, grid->block, grid->mycol, grid->cols);
        for (int64_t lr = 0; lr < x->local_rows; ++lr) {
            const int64_t i = grid_global_index(lr, grid->block, grid->myrow, grid->rows);
            x->data[lc * lld + lr] =
                (float)ntk_random_normal(FLOAT32_PROBE_SEED, (uint64_t)c, (uint64_t)i);
        }
    }
    const float alpha = 1.0f, beta = 0.0f;
    pssymm_("L", "L", &size, &count, &alpha, a->data, &one, &one, a->desc, x->data, &one, &one,
            x->desc, &beta, y->data, &one, &one, y->desc, 1, 1);
    status = ntk_agree(grid_check_scalapack("pssymm (probes)", 0), grid->comm);
    if (status != NTK_OK)
        probes_destroy(probes);
    return status;
}

/* The every-pair check of `vectors` and `w` (all on every rank) against
 * the probes (X and Y overwritten). Collective. */
static ntk_status probes_check(const ntk_grid *grid, const ntk_smatrix *vectors, const float *w,
                               float32_probes *probes, float32_result *out)
{
    const int64_t n = vectors->rows;
    const int size = (int)n, one = 1, count = FLOAT32_PROBES;
    ntk_smatrix *x = &probes->x, *y = &probes->y, *t = &probes->t;
    /* T = V^T X; orthogonality: V T - X; residual: V (W T) - Y. */
    const float alpha = 1.0f, zero = 0.0f, minus = -1.0f;
    psgemm_("T", "N", &size, &count, &size, &alpha, vectors->data, &one, &one, vectors->desc,
            x->data, &one, &one, x->desc, &zero, t->data, &one, &one, t->desc, 1, 1);
    NTK_TRY(ntk_agree(grid_check_scalapack("psgemm (check)", 0), grid->comm));
    double x_norms[FLOAT32_PROBES], r_norms[FLOAT32_PROBES], o_norms[FLOAT32_PROBES];
    NTK_TRY(column_norms(grid, x, x_norms));
    psgemm_("N", "N", &size, &count, &size, &alpha, vectors->data, &one, &one, vectors->desc,
            t->data, &one, &one, t->desc, &minus, x->data, &one, &one, x->desc, 1, 1);
    NTK_TRY(ntk_agree(grid_check_scalapack("psgemm (check)", 0), grid->comm));
    NTK_TRY(column_norms(grid, x, o_norms));
    const int64_t lld = t->desc[DESC_LLD];
    for (int64_t lc = 0; lc < t->local_cols; ++lc)
        for (int64_t lr = 0; lr < t->local_rows; ++lr)
            t->data[lc * lld + lr] *=
                w[grid_global_index(lr, grid->block, grid->myrow, grid->rows)];
    psgemm_("N", "N", &size, &count, &size, &alpha, vectors->data, &one, &one, vectors->desc,
            t->data, &one, &one, t->desc, &minus, y->data, &one, &one, y->desc, 1, 1);
    NTK_TRY(ntk_agree(grid_check_scalapack("psgemm (check)", 0), grid->comm));
    NTK_TRY(column_norms(grid, y, r_norms));
    const double scale = fmax(fabs((double)w[0]), fabs((double)w[n - 1]));
    out->residual = out->orthogonality = 0.0;
    for (int c = 0; c < FLOAT32_PROBES; ++c) {
        out->residual = fmax(out->residual, r_norms[c] / (scale * x_norms[c]));
        out->orthogonality = fmax(out->orthogonality, o_norms[c] / x_norms[c]);
    }
    return NTK_OK;
}

/* The values-only check: `w` (-Theta's) against -Theta's trace and Theta's
 * squared Frobenius norm. */
static double moments_error(const float *w, int64_t n, double trace, double frobenius_squared)
{
    double sum = 0.0, squares = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        sum += (double)w[i];
        squares += (double)w[i] * (double)w[i];
    }
    const double scale = fmax(fabs((double)w[0]), fabs((double)w[n - 1]));
    return fmax(fabs(sum - trace) / ((double)n * scale),
                fabs(sqrt(squares) - sqrt(frobenius_squared)) / (sqrt((double)n) * scale));
}

/* The power of two that brings a matrix whose largest |entry| is `largest`
 * to at least `floor` (ELPA's, spectrum/scaling.h) and below float's safe
 * range's top (sqrt of 1 / (safe minimum / eps) = 2^51); 1 when none is
 * needed. A power of two changes no float's significand, so the solve sees
 * Theta's own entries. */
static double float32_scale_factor(double largest, double floor)
{
    const double high = ldexp(1.0, 51);
    if (!(largest > 0.0) || (largest >= floor && largest <= high))
        return 1.0;
    int exponent = 0;
    frexp(largest >= floor ? high / largest : floor / largest, &exponent);
    return largest >= floor ? ldexp(1.0, exponent - 1) : ldexp(1.0, exponent);
}

/* The largest |entry| of the lower triangle of `a`, on every rank. */
static ntk_status largest_lower(const ntk_grid *grid, const ntk_smatrix *a, double *largest)
{
    const int64_t lld = a->desc[DESC_LLD];
    double local = 0.0;
    for (int64_t lc = 0; lc < a->local_cols; ++lc) {
        const int64_t column = grid_global_index(lc, grid->block, grid->mycol, grid->cols);
        for (int64_t lr = 0; lr < a->local_rows; ++lr) {
            const int64_t row = grid_global_index(lr, grid->block, grid->myrow, grid->rows);
            const double entry = fabs((double)a->data[lr + lc * lld]);
            if (row >= column && !(entry <= local)) /* keeps a NaN */
                local = entry;
        }
    }
    NTK_MPI(MPI_Allreduce(&local, largest, 1, MPI_DOUBLE, MPI_MAX, grid->comm));
    return NTK_OK;
}

static void scale_local(ntk_smatrix *a, float factor)
{
    const size_t count = (size_t)a->desc[DESC_LLD] * (size_t)a->local_cols;
    for (size_t e = 0; e < count; ++e)
        a->data[e] *= factor;
}

double spectrum_float32_tolerance(int64_t matrix_size)
{
    return SPECTRUM_FLOAT32_CHECK_FACTOR * sqrt((double)matrix_size) * ldexp(1.0, -24);
}

/* The float32 solver for `spec` on this grid and site, as for float64
 * (auto's ranking, the layout fallback), among the solvers with a float32
 * path; NULL with the error raised when it has none. */
static ntk_status resolve(const ntk_spectrum_spec *spec, const ntk_grid *grid, int64_t n,
                          const ntk_solve_budget *budget, const ntk_eigensolver_ops **ops,
                          const char **reason)
{
    ntk_solver_site site;
    NTK_TRY(spectrum_site_within(grid->comm, budget, &site));
    ntk_spectrum_workspace ws;
    spectrum_workspace_at(spec, &site, n, grid->rows, grid->cols, grid->block, &ws);
    *ops = eigensolver_find(ws.solver);
    *reason = ws.reason;
    if (*ops == NULL || !eigensolver_capable(*ops, spec, n) ||
        spec->solve_rows != NTK_SOLVE_LAYOUT_ASSEMBLY ||
        spec->solve_block != NTK_SOLVE_LAYOUT_ASSEMBLY)
        return NTK_RAISE(NTK_ERR_JOB, "kernel.precision float32 solves every eigenpair or "
                         "every eigenvalue on the assembly's grid with spectrum.solver auto, "
                         "pdsyevd (with vectors), pdsyevr (without), elpa, elpa1 or lapack; "
                         "not %s", spectrum_solver_name(ws.solver));
    if (ws.solver != spec->solver && spec->solver != NTK_SOLVER_AUTO)
        ntk_warn("spectrum.solver %s: using %s: %s", spectrum_solver_name(spec->solver),
                 spectrum_solver_name(ws.solver), ws.reason);
    return NTK_OK;
}

/* The name summary.yaml and the log give the float32 solve. */
static const char *float32_name(const ntk_eigensolver_ops *ops)
{
    if (ops->id == NTK_SOLVER_PDSYEVD)
        return "pssyevd";
    if (ops->id == NTK_SOLVER_PDSYEVR)
        return "pssyevr";
    return ops->name;
}

/* Negation, scaling, the solve and the check, on -Theta's lower triangle
 * (`theta` becomes -Theta times `factor`, destroyed by the solver). */
static ntk_status solve_checked(const ntk_spectrum_spec *spec, const ntk_grid *grid,
                                const ntk_eigensolver_ops *ops, ntk_smatrix *theta, float *w,
                                float32_result *result, char *detail, size_t detail_size)
{
    const int64_t n = theta->rows;
    double trace = 0.0, frobenius_squared = 0.0, largest = 0.0;
    NTK_TRY(smatrix_lower_moments(grid, theta, &trace, &frobenius_squared));
    NTK_TRY(largest_lower(grid, theta, &largest));
    result->trace = trace;
    if (ops->capabilities & EIGENSOLVER_READS_BOTH)
        NTK_TRY(smatrix_symmetrize_from_lower(grid, theta));
    /* -Theta: its ascending eigenvalues are Theta's descending ones. */
    const size_t count = (size_t)theta->desc[DESC_LLD] * (size_t)theta->local_cols;
    for (size_t e = 0; e < count; ++e)
        theta->data[e] = -theta->data[e];
    float32_probes probes;
    memset(&probes, 0, sizeof probes);
    if (spec->vectors)
        NTK_TRY(probes_take(grid, theta, &probes));
    const double factor = ops->scale_floor > 0.0 ? float32_scale_factor(largest, ops->scale_floor)
                                                 : 1.0;
    if (factor != 1.0) {
        ntk_log("Theta scaled by %.3g for the eigensolve (largest entry %.3g; eigenvalues "
                "scaled back)", factor, largest);
        scale_local(theta, (float)factor);
    }
    const eigensolver_float32_call call = {grid, theta, w,
                                           spec->vectors ? &result->vectors : NULL, detail,
                                           detail_size};
    ntk_status status = ops->solve_float32(&call);
    if (status == NTK_OK)
        status = share_values(grid, w, n);
    if (status == NTK_OK && factor != 1.0)
        for (int64_t i = 0; i < n; ++i)
            w[i] = (float)((double)w[i] / factor);
    if (status == NTK_OK) {
        if (spec->vectors)
            status = probes_check(grid, &result->vectors, w, &probes, result);
        else
            result->residual = moments_error(w, n, -trace, frobenius_squared);
    }
    probes_destroy(&probes);
    if (status != NTK_OK)
        smatrix_destroy(&result->vectors);
    return status;
}

ntk_status spectrum_solve_float32(const ntk_spectrum_spec *spec, const ntk_grid *grid,
                                  ntk_smatrix *theta, const ntk_solve_budget *budget,
                                  ntk_spectrum *spectrum)
{
    memset(spectrum, 0, sizeof *spectrum);
    const int64_t n = theta->rows;
    ntk_spectrum_spec single = *spec;
    single.float32 = 1;
    if (spec->solver == NTK_SOLVER_NONE || spec->top > 0)
        return NTK_RAISE(NTK_ERR_JOB, "kernel.precision float32 solves every eigenpair or every "
                         "eigenvalue (spectrum.top 0)");
    const ntk_eigensolver_ops *ops = NULL;
    const char *reason = NULL;
    NTK_TRY(resolve(&single, grid, n, budget, &ops, &reason));
    const char *name = float32_name(ops);
    ntk_log("eigensolver %s (kernel.precision float32: %s)", name, reason);
    float *w = NULL;
    NTK_TRY(ntk_agree(NTK_CALLOC(w, n, "float32 eigenvalues"), grid->comm));
    float32_result result;
    memset(&result, 0, sizeof result);
    ntk_status status = solve_checked(&single, grid, ops, theta, w, &result,
                                      spectrum->solver_detail, sizeof spectrum->solver_detail);
    const double tolerance = spectrum_float32_tolerance(n);
    for (int64_t i = 0; status == NTK_OK && i < n; ++i)
        if (!isfinite(w[i]))
            status = NTK_RAISE(NTK_ERR_NUMERIC, "%s returned a non-finite eigenvalue (%lld); "
                               "use kernel.precision: float64", name, (long long)i);
    if (status == NTK_OK && !(result.residual <= tolerance && result.orthogonality <= tolerance))
        status = NTK_RAISE(NTK_ERR_NUMERIC,
                           "%s's float32 eigen%s fail their check: residual %.3g, "
                           "orthogonality %.3g, tolerance %.3g (%g sqrt(M) u); use another "
                           "spectrum.solver or kernel.precision: float64",
                           name, spec->vectors ? "pairs" : "values", result.residual,
                           result.orthogonality, tolerance, SPECTRUM_FLOAT32_CHECK_FACTOR);
    if (status == NTK_OK)
        status = NTK_CALLOC(spectrum->values, n, "the eigenvalues");
    status = ntk_agree(status, grid->comm);
    if (status != NTK_OK) {
        free(w);
        smatrix_destroy(&result.vectors);
        spectrum_free(spectrum);
        return status;
    }
    for (int64_t i = 0; i < n; ++i)
        spectrum->values[i] = -(double)w[i];
    free(w);
    spectrum->n_pairs = n;
    spectrum->single_precision = 1;
    spectrum->solver = name;
    spectrum->computed_values = n;
    spectrum->diagonal_sum = result.trace;
    spectrum->solve_rows = grid->rows;
    spectrum->solve_cols = grid->cols;
    spectrum->solve_block = grid->block;
    spectrum->tolerance = tolerance;
    spectrum->max_relative_residual = NAN;
    spectrum->values_check_error = NAN;
    spectrum->check.residual = spectrum->check.orthogonality = NAN;
    if (spec->vectors) {
        spectrum->have_vectors = 1;
        spectrum->computed_vectors = n;
        spectrum->vectors_single = result.vectors;
        /* the layout alone, for code that asks the eigenvectors' shape */
        spectrum->vectors.rows = result.vectors.rows;
        spectrum->vectors.cols = result.vectors.cols;
        spectrum->vectors.local_rows = result.vectors.local_rows;
        spectrum->vectors.local_cols = result.vectors.local_cols;
        memcpy(spectrum->vectors.desc, result.vectors.desc, sizeof spectrum->vectors.desc);
        spectrum->max_relative_residual = result.residual;
        spectrum->check.method = "probes";
        spectrum->check.probes = FLOAT32_PROBES;
        spectrum->check.residual = result.residual;
        spectrum->check.orthogonality = result.orthogonality;
    } else {
        spectrum->values_check = "moments";
        spectrum->values_check_error = result.residual;
    }
    return NTK_OK;
}
