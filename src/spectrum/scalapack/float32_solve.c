/* kernel.precision float32's eigensolve (spectrum.h, spectrum_solve_float32):
 * ScaLAPACK's single-precision drivers on the float32 Theta. pssyevd for
 * every eigenpair, pssyevr (JOBZ = 'N', RANGE = 'A') for the eigenvalues
 * alone; the other solvers (ELPA, the node solver, PARPACK) and top-k
 * subsets have no float32 path and are refused by the job's rules.
 *
 * As in float64 (scalapack_solvers.c), -Theta is solved so that its
 * ascending eigenvalues are Theta's descending ones with the eigenvectors in
 * that order; the workspaces follow the documented formulas (pdsyevd's and
 * pdsyevr's, the same for the s routines), taken larger when the query asks
 * for more (its answer is a REAL, rounded up here); every INFO is checked.
 *
 * The check, with a float32 tolerance:
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
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/random.h"
#include "grid/scalapack.h"
#include "spectrum/scalapack/scalapack_drivers.h"
#include "spectrum/spectrum.h"

enum { DESC_LLD = 8, FLOAT32_PROBES = 4 };
#define FLOAT32_PROBE_SEED UINT64_C(0x9e3779b97f4a7c15)

/* What a solve leaves besides the values: the eigenvectors (every pair)
 * and the check's two measures (orthogonality 0 for values only). */
typedef struct {
    ntk_smatrix vectors;
    double residual, orthogonality;
} float32_result;

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

/* A REAL workspace answer as an entry count, rounded up with room to spare. */
static int64_t query_count(float answer) { return (int64_t)ceil((double)answer * 1.001) + 16; }

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
 * matrix (pitfall of pdsyevd: ranks without one may hold wrong values). */
static ntk_status share_values(const ntk_grid *grid, float *w, int64_t n)
{
    int mine = grid->myrow == 0 && grid->mycol == 0 ? grid->rank : -1, root = -1;
    NTK_MPI(MPI_Allreduce(&mine, &root, 1, MPI_INT, MPI_MAX, grid->comm));
    NTK_MPI(MPI_Bcast(w, (int)n, MPI_FLOAT, root, grid->comm));
    return NTK_OK;
}

/* Every pair by pssyevd on `a` (-Theta, destroyed), with the probe check. */
static ntk_status solve_all_pairs(const ntk_grid *grid, ntk_smatrix *a, float *w,
                                  float32_result *out)
{
    const int64_t n = a->rows;
    const int size = (int)n, one = 1, probes = FLOAT32_PROBES;
    ntk_smatrix x = {0}, y = {0}, t = {0};
    ntk_status status = smatrix_create(grid, n, n, &out->vectors);
    if (status == NTK_OK)
        status = smatrix_create(grid, n, FLOAT32_PROBES, &x);
    if (status == NTK_OK)
        status = smatrix_create(grid, n, FLOAT32_PROBES, &y);
    if (status == NTK_OK)
        status = smatrix_create(grid, n, FLOAT32_PROBES, &t);
    status = ntk_agree(status, grid->comm);
    float *work = NULL;
    int *iwork = NULL;
    if (status == NTK_OK) {
        /* Gaussian probes, the same on any grid (by global index). */
        const int64_t lld = x.desc[DESC_LLD];
        for (int64_t lc = 0; lc < x.local_cols; ++lc) {
            const int64_t c = grid_global_index(lc, grid->block, grid->mycol, grid->cols);
            for (int64_t lr = 0; lr < x.local_rows; ++lr) {
                const int64_t i = grid_global_index(lr, grid->block, grid->myrow, grid->rows);
                x.data[lc * lld + lr] = (float)ntk_random_normal(
                    FLOAT32_PROBE_SEED, (uint64_t)c, (uint64_t)i);
            }
        }
        const float alpha = 1.0f, beta = 0.0f;
        pssymm_("L", "L", &size, &probes, &alpha, a->data, &one, &one, a->desc, x.data, &one,
                &one, x.desc, &beta, y.data, &one, &one, y.desc, 1, 1);
        status = ntk_agree(grid_check_scalapack("pssymm (probes)", 0), grid->comm);
    }
    if (status == NTK_OK) {
        int64_t lwork = scalapack_evd_lwork(n, grid->block, grid->rows, grid->cols);
        int64_t liwork = scalapack_evd_liwork(n, grid->cols);
        const int query = -1;
        int info = 0, iwork_query = 0;
        float work_query = 0.0f;
        pssyevd_("V", "L", &size, a->data, &one, &one, a->desc, w, out->vectors.data, &one, &one,
                 out->vectors.desc, &work_query, &query, &iwork_query, &query, &info, 1, 1);
        status = ntk_agree(scalapack_check_solver("pssyevd (workspace query)", info, n),
                           grid->comm);
        lwork = max64(lwork, query_count(work_query));
        liwork = max64(liwork, iwork_query);
        if (status == NTK_OK)
            status = scalapack_workspace_fits(lwork, "pssyevd");
        if (status == NTK_OK)
            status = NTK_CALLOC(work, lwork, "pssyevd workspace");
        if (status == NTK_OK)
            status = NTK_CALLOC(iwork, liwork, "pssyevd integer workspace");
        status = ntk_agree(status, grid->comm);
        if (status == NTK_OK) {
            const int lwork_int = (int)lwork, liwork_int = (int)liwork;
            pssyevd_("V", "L", &size, a->data, &one, &one, a->desc, w, out->vectors.data, &one,
                     &one, out->vectors.desc, work, &lwork_int, iwork, &liwork_int, &info, 1, 1);
            status = ntk_agree(scalapack_check_solver("pssyevd", info, n), grid->comm);
        }
    }
    free(work);
    free(iwork);
    if (status == NTK_OK)
        status = share_values(grid, w, n);
    if (status == NTK_OK) {
        /* T = V^T X; orthogonality: V T - X; residual: V (W T) - Y. */
        const float alpha = 1.0f, zero = 0.0f, minus = -1.0f;
        psgemm_("T", "N", &size, &probes, &size, &alpha, out->vectors.data, &one, &one,
                out->vectors.desc, x.data, &one, &one, x.desc, &zero, t.data, &one, &one, t.desc,
                1, 1);
        status = ntk_agree(grid_check_scalapack("psgemm (check)", 0), grid->comm);
        double x_norms[FLOAT32_PROBES], r_norms[FLOAT32_PROBES], o_norms[FLOAT32_PROBES];
        if (status == NTK_OK)
            status = column_norms(grid, &x, x_norms);
        if (status == NTK_OK) {
            psgemm_("N", "N", &size, &probes, &size, &alpha, out->vectors.data, &one, &one,
                    out->vectors.desc, t.data, &one, &one, t.desc, &minus, x.data, &one, &one,
                    x.desc, 1, 1);
            status = ntk_agree(grid_check_scalapack("psgemm (check)", 0), grid->comm);
        }
        if (status == NTK_OK)
            status = column_norms(grid, &x, o_norms);
        if (status == NTK_OK) {
            const int64_t lld = t.desc[DESC_LLD];
            for (int64_t lc = 0; lc < t.local_cols; ++lc)
                for (int64_t lr = 0; lr < t.local_rows; ++lr)
                    t.data[lc * lld + lr] *=
                        w[grid_global_index(lr, grid->block, grid->myrow, grid->rows)];
            psgemm_("N", "N", &size, &probes, &size, &alpha, out->vectors.data, &one, &one,
                    out->vectors.desc, t.data, &one, &one, t.desc, &minus, y.data, &one, &one,
                    y.desc, 1, 1);
            status = ntk_agree(grid_check_scalapack("psgemm (check)", 0), grid->comm);
        }
        if (status == NTK_OK)
            status = column_norms(grid, &y, r_norms);
        status = ntk_agree(status, grid->comm);
        if (status == NTK_OK) {
            const double scale = fmax(fabs((double)w[0]), fabs((double)w[n - 1]));
            out->residual = out->orthogonality = 0.0;
            for (int c = 0; c < FLOAT32_PROBES; ++c) {
                out->residual = fmax(out->residual, r_norms[c] / (scale * x_norms[c]));
                out->orthogonality = fmax(out->orthogonality, o_norms[c] / x_norms[c]);
            }
        }
    }
    smatrix_destroy(&x);
    smatrix_destroy(&y);
    smatrix_destroy(&t);
    return status;
}

/* The eigenvalues alone by pssyevr on `a` (-Theta, destroyed, whose trace
 * and squared Frobenius norm are given), with the moment check. */
static ntk_status solve_values(const ntk_grid *grid, ntk_smatrix *a, double trace,
                               double frobenius_squared, float *w, float32_result *out)
{
    const int64_t n = a->rows;
    int64_t lwork = scalapack_evr_values_lwork(n, grid->block, grid->rows);
    int64_t liwork = scalapack_evr_values_liwork(n, grid->rows, grid->cols);
    const int size = (int)n, one = 1, il = 1, iu = (int)n, query = -1;
    const float vl = 0.0f, vu = 0.0f;
    int found = 0, found_vectors = 0, info = 0, iwork_query = 0;
    float work_query = 0.0f;
    pssyevr_("N", "A", "L", &size, a->data, &one, &one, a->desc, &vl, &vu, &il, &iu, &found,
             &found_vectors, w, a->data, &one, &one, a->desc, &work_query, &query, &iwork_query,
             &query, &info, 1, 1, 1);
    NTK_TRY(ntk_agree(scalapack_check_solver("pssyevr (workspace query)", info, n), grid->comm));
    lwork = max64(lwork, query_count(work_query));
    liwork = max64(liwork, iwork_query);
    float *work = NULL;
    int *iwork = NULL;
    ntk_status status = scalapack_workspace_fits(lwork, "pssyevr");
    if (status == NTK_OK)
        status = NTK_CALLOC(work, lwork, "pssyevr workspace");
    if (status == NTK_OK)
        status = NTK_CALLOC(iwork, liwork, "pssyevr integer workspace");
    status = ntk_agree(status, grid->comm);
    if (status == NTK_OK) {
        const int lwork_int = (int)lwork, liwork_int = (int)liwork;
        pssyevr_("N", "A", "L", &size, a->data, &one, &one, a->desc, &vl, &vu, &il, &iu, &found,
                 &found_vectors, w, a->data, &one, &one, a->desc, work, &lwork_int, iwork,
                 &liwork_int, &info, 1, 1, 1);
        status = scalapack_check_solver("pssyevr", info, n);
        if (status == NTK_OK && found != (int)n)
            status = NTK_RAISE(NTK_ERR_NUMERIC, "pssyevr found %d eigenvalues, expected %lld",
                               found, (long long)n);
        status = ntk_agree(status, grid->comm);
    }
    free(work);
    free(iwork);
    if (status == NTK_OK)
        status = share_values(grid, w, n);
    if (status == NTK_OK) {
        double sum = 0.0, squares = 0.0;
        for (int64_t i = 0; i < n; ++i) {
            sum += (double)w[i];
            squares += (double)w[i] * (double)w[i];
        }
        const double scale = fmax(fabs((double)w[0]), fabs((double)w[n - 1]));
        out->residual = fmax(fabs(sum - trace) / ((double)n * scale),
                             fabs(sqrt(squares) - sqrt(frobenius_squared)) / (sqrt((double)n) * scale));
    }
    return status;
}

double spectrum_float32_tolerance(int64_t matrix_size)
{
    return SPECTRUM_FLOAT32_CHECK_FACTOR * sqrt((double)matrix_size) * ldexp(1.0, -24);
}

ntk_solver spectrum_float32_solver(const ntk_spectrum_spec *spec)
{
    if (spec->solver == NTK_SOLVER_NONE)
        return NTK_SOLVER_NONE;
    return spec->vectors ? NTK_SOLVER_PDSYEVD : NTK_SOLVER_PDSYEVR;
}

ntk_status spectrum_solve_float32(const ntk_spectrum_spec *spec, const ntk_grid *grid,
                                  ntk_smatrix *theta, ntk_spectrum *spectrum)
{
    memset(spectrum, 0, sizeof *spectrum);
    const int64_t n = theta->rows;
    const ntk_solver solver = spectrum_float32_solver(spec);
    if (spec->top > 0 || solver == NTK_SOLVER_NONE ||
        (spec->solver != NTK_SOLVER_AUTO && spec->solver != solver) ||
        spec->solve_rows != NTK_SOLVE_LAYOUT_ASSEMBLY || spec->solve_block != NTK_SOLVE_LAYOUT_ASSEMBLY)
        return NTK_RAISE(NTK_ERR_JOB, "kernel.precision float32 solves every eigenpair with "
                         "pssyevd or every eigenvalue with pssyevr, on the assembly's grid "
                         "(spectrum.solver auto, pdsyevd with vectors, pdsyevr without; "
                         "spectrum.top 0)");
    double trace = 0.0, frobenius_squared = 0.0;
    NTK_TRY(smatrix_lower_moments(grid, theta, &trace, &frobenius_squared));
    /* -Theta: its ascending eigenvalues are Theta's descending ones. */
    const size_t count = (size_t)theta->desc[DESC_LLD] * (size_t)theta->local_cols;
    for (size_t e = 0; e < count; ++e)
        theta->data[e] = -theta->data[e];
    float *w = NULL;
    NTK_TRY(ntk_agree(NTK_CALLOC(w, n, "float32 eigenvalues"), grid->comm));
    float32_result result;
    memset(&result, 0, sizeof result);
    const char *name = spec->vectors ? "pssyevd" : "pssyevr";
    ntk_status status = spec->vectors
                            ? solve_all_pairs(grid, theta, w, &result)
                            : solve_values(grid, theta, -trace, frobenius_squared, w, &result);
    const double tolerance = spectrum_float32_tolerance(n);
    for (int64_t i = 0; status == NTK_OK && i < n; ++i)
        if (!isfinite(w[i]))
            status = NTK_RAISE(NTK_ERR_NUMERIC, "%s returned a non-finite eigenvalue (%lld); "
                               "use kernel.precision: float64", name, (long long)i);
    if (status == NTK_OK && !(result.residual <= tolerance && result.orthogonality <= tolerance))
        status = NTK_RAISE(NTK_ERR_NUMERIC,
                           "%s's float32 eigen%s fail their check: residual %.3g, "
                           "orthogonality %.3g, tolerance %.3g (%g sqrt(M) u); use "
                           "kernel.precision: float64",
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
    snprintf(spectrum->solver_detail, sizeof spectrum->solver_detail,
             "%s (kernel.precision float32)", name);
    spectrum->computed_values = n;
    spectrum->diagonal_sum = trace;
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
