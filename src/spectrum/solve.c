/* The distributed eigensolve of Theta (see spectrum.h).
 *
 * ScaLAPACK returns ascending eigenvalues and pdsyevr's index range counts
 * from the smallest, so we solve for -Theta: its IL = 1 .. IU = top are the
 * top largest of Theta, already in descending order, and the eigenvectors
 * are the same. Workspace sizes come from spectrum/workspace.c, computed in
 * 64 bits from the documented formulas; the (32-bit) workspace queries are
 * taken into account when larger, but cannot be trusted alone because they
 * overflow silently for large local blocks.
 *
 * ELPA and the gathered LAPACK path live in elpa_solver.c and
 * gather_lapack.c; ELPA overwrites both triangles, so it gets a copy and
 * -Theta stays for the residual check.
 *
 * Every ScaLAPACK call is checked with grid_check_scalapack, which also sees
 * complaints of routines deep inside a driver (grid/scalapack_errors.c), and
 * the eigenpairs are verified by their residual before they are returned
 * (spectrum/verify.c).
 */
#include "spectrum/spectrum.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/memory.h"
#include "grid/scalapack.h"
#include "spectrum/solvers.h"

enum { DESC_MB = 4, DESC_NB = 5, DESC_LLD = 8 };

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

/* Global row `row` is local to this process row: its local index. */
static int64_t local_row_of(const ntk_grid *grid, int64_t row)
{
    return (row / ((int64_t)grid->block * grid->rows)) * grid->block + row % grid->block;
}

static ntk_status check_workspace_fits(int64_t doubles, const char *solver)
{
    if (doubles > INT_MAX)
        return NTK_RAISE(NTK_ERR_MEMORY,
                         "%s needs %lld workspace entries per rank, more than ScaLAPACK's 32-bit "
                         "limit; use more ranks (or spectrum.top / vectors: false)",
                         solver, (long long)doubles);
    return NTK_OK;
}

/* Theta must be finite: the solvers may loop or return garbage otherwise.
 * Only the lower triangle is checked (the upper one is not read). */
static ntk_status check_finite_lower(const ntk_grid *grid, const ntk_dmatrix *theta)
{
    const int64_t lld = theta->desc[DESC_LLD];
    for (int64_t lc = 0; lc < theta->local_cols; ++lc) {
        const int64_t column = grid_global_index(lc, grid->block, grid->mycol, grid->cols);
        for (int64_t lr = 0; lr < theta->local_rows; ++lr) {
            const int64_t row = grid_global_index(lr, grid->block, grid->myrow, grid->rows);
            if (row >= column && !isfinite(theta->data[lr + lc * lld]))
                return NTK_RAISE(NTK_ERR_NUMERIC,
                                 "Theta has a non-finite entry %g at (%lld, %lld); cannot solve",
                                 theta->data[lr + lc * lld], (long long)row, (long long)column);
        }
    }
    return NTK_OK;
}

/* Sum of the diagonal of Theta over all ranks. Collective. */
static ntk_status diagonal_trace(const ntk_grid *grid, const ntk_dmatrix *theta, double *trace)
{
    const int64_t lld = theta->desc[DESC_LLD];
    double local = 0.0;
    for (int64_t lc = 0; lc < theta->local_cols; ++lc) {
        const int64_t column = grid_global_index(lc, grid->block, grid->mycol, grid->cols);
        if (grid_owner(column, grid->block, grid->rows) != grid->myrow)
            continue;
        local += theta->data[local_row_of(grid, column) + lc * lld];
    }
    NTK_MPI(MPI_Allreduce(&local, trace, 1, MPI_DOUBLE, MPI_SUM, grid->comm));
    return NTK_OK;
}

/* The local diagonal entries of `matrix`, by local column (entries whose
 * row is not local are unused). save = 1 copies them out, 0 puts them back. */
static void copy_diagonal(const ntk_grid *grid, ntk_dmatrix *matrix, double *diagonal, int save)
{
    const int64_t lld = matrix->desc[DESC_LLD];
    for (int64_t lc = 0; lc < matrix->local_cols; ++lc) {
        const int64_t column = grid_global_index(lc, grid->block, grid->mycol, grid->cols);
        if (grid_owner(column, grid->block, grid->rows) != grid->myrow)
            continue;
        double *entry = &matrix->data[local_row_of(grid, column) + lc * lld];
        if (save)
            diagonal[lc] = *entry;
        else
            *entry = diagonal[lc];
    }
}

/* Keep the leading `m` columns of an M x M block-cyclic matrix. The local
 * columns of global columns [0, m) are a prefix of the local columns and the
 * leading dimension does not change, so this only shrinks the allocation. */
static ntk_status keep_leading_columns(const ntk_grid *grid, ntk_dmatrix *matrix, int64_t m)
{
    const int64_t local_cols = grid_local_count(m, grid->block, grid->mycol, grid->cols);
    const int rows = (int)matrix->rows, cols = (int)m, nb = grid->block, zero = 0;
    const int lld = matrix->desc[DESC_LLD];
    int info = 0;
    descinit_(matrix->desc, &rows, &cols, &nb, &nb, &zero, &zero, &grid->context, &lld, &info);
    NTK_TRY(grid_check_scalapack("descinit (eigenvectors)", info));
    ntk_shrink(&matrix->data, (size_t)lld * (size_t)(local_cols > 0 ? local_cols : 1),
               sizeof(double));
    matrix->cols = m;
    matrix->local_cols = local_cols;
    return NTK_OK;
}

/* A solver's INFO and any complaint recorded during the call. */
static ntk_status check_solver(const char *call, int info, int64_t n)
{
    NTK_TRY(grid_check_scalapack(call, info > 0 ? 0 : info));
    if (info > 0)
        return NTK_RAISE(NTK_ERR_NUMERIC,
                         "%s did not converge (info %d, eigenvalue %lld of %lld); Theta may be "
                         "badly scaled or not symmetric",
                         call, info, (long long)(info / (n + 1)), (long long)n);
    return NTK_OK;
}

/* A solver's real and integer workspaces, with the counts it is passed. */
typedef struct {
    double *work;
    int *iwork;
    int lwork, liwork;
} solver_work;

/* The workspaces of the sizes a solver's query settled on, when they fit its
 * 32-bit counts. Collective: the status is agreed. Free with
 * solver_work_free, also on failure. */
static ntk_status solver_work_create(const ntk_grid *grid, const char *solver, int64_t lwork,
                                     int64_t liwork, solver_work *out)
{
    char what[64];
    memset(out, 0, sizeof *out);
    ntk_status status = check_workspace_fits(lwork, solver);
    if (status == NTK_OK) {
        snprintf(what, sizeof what, "%s workspace", solver);
        status = NTK_CALLOC(out->work, lwork, what);
    }
    if (status == NTK_OK) {
        snprintf(what, sizeof what, "%s integer workspace", solver);
        status = NTK_CALLOC(out->iwork, liwork, what);
    }
    if (status == NTK_OK) {
        out->lwork = (int)lwork;
        out->liwork = (int)liwork;
    }
    return ntk_agree(status, grid->comm);
}

static void solver_work_free(solver_work *work)
{
    free(work->iwork);
    free(work->work);
}

/* All eigenpairs with divide and conquer. `z` is created M x M. */
static ntk_status solve_pdsyevd(const ntk_grid *grid, const ntk_spectrum_workspace *ws,
                                ntk_dmatrix *theta, double *w, ntk_dmatrix *z)
{
    const int64_t n = theta->rows;
    const int64_t lwork = ws->lwork;
    ntk_status status = check_workspace_fits(lwork, "pdsyevd");
    if (status == NTK_OK)
        status = dmatrix_create(grid, n, n, z);
    NTK_TRY(ntk_agree(status, grid->comm));

    const int size = (int)n, one = 1, query = -1;
    int info = 0, iwork_query = 0, liwork_query = 1;
    double work_query = 0.0;
    pdsyevd_("V", "L", &size, theta->data, &one, &one, theta->desc, w, z->data, &one, &one,
             z->desc, &work_query, &query, &iwork_query, &liwork_query, &info);
    NTK_TRY(ntk_agree(check_solver("pdsyevd (workspace query)", info, n), grid->comm));
    solver_work work;
    status = solver_work_create(grid, "pdsyevd", max64(lwork, (int64_t)work_query),
                                max64(ws->liwork, iwork_query), &work);
    if (status == NTK_OK) {
        pdsyevd_("V", "L", &size, theta->data, &one, &one, theta->desc, w, z->data, &one, &one,
                 z->desc, work.work, &work.lwork, work.iwork, &work.liwork, &info);
        status = check_solver("pdsyevd", info, n);
    }
    solver_work_free(&work);
    NTK_TRY(ntk_agree(status, grid->comm));
    return NTK_OK;
}

/* The largest eigenvalues of Theta with MRRR (ws->solved_pairs of them, all
 * when that is M), and their eigenvectors when `z` is not NULL.
 *
 * pdsyevr requires Z's descriptor to be M x M, but writes only the columns
 * of the wanted pairs (pdlaevswp places eigenvector j in column KEY(j) <=
 * pairs, pdormtr updates M x pairs). For top-k runs we therefore allocate
 * only the local columns of those, behind a full-size descriptor - M x k
 * memory instead of M x M - and guard the end of the allocation to catch a
 * library that writes further. */
static ntk_status solve_pdsyevr(const ntk_grid *grid, const ntk_spectrum_workspace *ws,
                                ntk_dmatrix *theta, double *w, ntk_dmatrix *z)
{
    const int64_t n = theta->rows, pairs = ws->solved_pairs;
    const int64_t nb = grid->block;
    const int want_vectors = z != NULL;
    const int64_t lwork = ws->lwork;
    ntk_status status = check_workspace_fits(lwork, "pdsyevr");

    enum { GUARD = 64 };
    const double guard_value = -7.0e300;
    int64_t z_local_cols = 0, z_lld = 1;
    if (status == NTK_OK && want_vectors) {
        memset(z, 0, sizeof *z);
        z_lld = theta->desc[DESC_LLD];
        z_local_cols = grid_local_count(pairs, (int)nb, grid->mycol, grid->cols);
        const size_t count = (size_t)z_lld * (size_t)z_local_cols + GUARD;
        status = ntk_calloc(&z->data, count, sizeof(double), "the eigenvector block");
        if (status == NTK_OK) {
            for (int g = 0; g < GUARD; ++g)
                z->data[(size_t)z_lld * (size_t)z_local_cols + g] = guard_value;
            const int size = (int)n, inb = (int)nb, zero = 0, lld = (int)z_lld;
            int info = 0;
            descinit_(z->desc, &size, &size, &inb, &inb, &zero, &zero, &grid->context, &lld,
                      &info);
            status = grid_check_scalapack("descinit (Z)", info);
            z->rows = n;
            z->cols = n;
            z->local_rows = theta->local_rows;
            z->local_cols = z_local_cols;
        }
    }
    NTK_TRY(ntk_agree(status, grid->comm));

    const char *jobz = want_vectors ? "V" : "N";
    const char *range = pairs < n ? "I" : "A";
    /* With JOBZ = 'N' Z is not referenced; pass Theta's descriptor so the
     * argument is a valid one. */
    double *z_data = want_vectors ? z->data : theta->data;
    const int *z_desc = want_vectors ? z->desc : theta->desc;
    const int size = (int)n, one = 1, il = 1, iu = (int)pairs, query = -1;
    const double vl = 0.0, vu = 0.0;
    int found = 0, found_vectors = 0, info = 0, iwork_query = 0;
    double work_query = 0.0;
    pdsyevr_(jobz, range, "L", &size, theta->data, &one, &one, theta->desc, &vl, &vu, &il, &iu,
             &found, &found_vectors, w, z_data, &one, &one, z_desc, &work_query, &query,
             &iwork_query, &query, &info);
    NTK_TRY(ntk_agree(check_solver("pdsyevr (workspace query)", info, n), grid->comm));
    solver_work work;
    status = solver_work_create(grid, "pdsyevr", max64(lwork, (int64_t)work_query),
                                max64(ws->liwork, iwork_query), &work);
    if (status == NTK_OK) {
        pdsyevr_(jobz, range, "L", &size, theta->data, &one, &one, theta->desc, &vl, &vu, &il,
                 &iu, &found, &found_vectors, w, z_data, &one, &one, z_desc, work.work,
                 &work.lwork, work.iwork, &work.liwork, &info);
        status = check_solver("pdsyevr", info, n);
        if (status == NTK_OK && (found != (int)pairs || (want_vectors && found_vectors != (int)pairs)))
            status = NTK_RAISE(NTK_ERR_NUMERIC,
                               "pdsyevr found %d eigenvalues and %d eigenvectors, expected %lld",
                               found, want_vectors ? found_vectors : found, (long long)pairs);
    }
    solver_work_free(&work);
    if (status == NTK_OK && want_vectors) {
        for (int g = 0; g < GUARD; ++g)
            if (z->data[(size_t)z_lld * (size_t)z_local_cols + g] != guard_value)
                status = NTK_RAISE(NTK_ERR_INTERNAL,
                                   "pdsyevr wrote beyond the first %lld eigenvector columns",
                                   (long long)pairs);
    }
    NTK_TRY(ntk_agree(status, grid->comm));
    return NTK_OK;
}

/* ELPA on a copy of -Theta (it overwrites the whole matrix; the original
 * is kept for the residual check). */
static ntk_status solve_elpa(const ntk_grid *grid, const ntk_spectrum_workspace *ws,
                             int want_vectors, ntk_dmatrix *theta, double *w,
                             ntk_spectrum *spectrum)
{
    ntk_dmatrix copy;
    ntk_status status = dmatrix_create(grid, theta->rows, theta->cols, &copy);
    if (status == NTK_OK)
        memcpy(copy.data, theta->data,
               (size_t)theta->desc[DESC_LLD] * (size_t)theta->local_cols * sizeof(double));
    NTK_TRY(ntk_agree(status, grid->comm));
    status = spectrum_solve_elpa(grid, ws->solver == NTK_SOLVER_ELPA, ws->solved_pairs, &copy, w,
                                 want_vectors ? &spectrum->vectors : NULL,
                                 spectrum->solver_detail, sizeof spectrum->solver_detail);
    dmatrix_destroy(&copy);
    return status;
}

/* Solve -Theta (already negated) with the resolved solver; leaves the kept
 * eigenvectors (when computed) in spectrum->vectors. */
static ntk_status run_solver(const ntk_spectrum_spec *spec, const ntk_grid *grid,
                             const ntk_spectrum_workspace *ws, ntk_dmatrix *theta, double *w,
                             ntk_spectrum *spectrum)
{
    const int64_t n = theta->rows, m = ws->kept_pairs;
    spectrum->solver = spectrum_solver_name(ws->solver);
    if (ws->solver == NTK_SOLVER_PDSYEVD) {
        /* pdsyevd always computes every eigenvector (JOBZ = 'N' is not
         * implemented); a subset or values-only request keeps less. */
        if (!spec->vectors || spec->top > 0)
            ntk_warn("pdsyevd computes all %lld eigenpairs; keeping %s", (long long)n,
                     spec->vectors ? "the requested top ones" : "the eigenvalues only");
        snprintf(spectrum->solver_detail, sizeof spectrum->solver_detail, "scalapack pdsyevd");
        NTK_TRY(solve_pdsyevd(grid, ws, theta, w, &spectrum->vectors));
    } else if (ws->solver == NTK_SOLVER_PDSYEVR) {
        snprintf(spectrum->solver_detail, sizeof spectrum->solver_detail, "scalapack pdsyevr");
        NTK_TRY(solve_pdsyevr(grid, ws, theta, w, spec->vectors ? &spectrum->vectors : NULL));
    } else if (ws->solver == NTK_SOLVER_ELPA || ws->solver == NTK_SOLVER_ELPA1) {
        NTK_TRY(solve_elpa(grid, ws, spec->vectors, theta, w, spectrum));
    } else {
        NTK_TRY(spectrum_solve_lapack(grid, ws->kept_pairs, theta, w,
                                      spec->vectors ? &spectrum->vectors : NULL,
                                      spectrum->solver_detail, sizeof spectrum->solver_detail));
    }
    if (spectrum->vectors.data != NULL && spectrum->vectors.cols > m)
        NTK_TRY(ntk_agree(keep_leading_columns(grid, &spectrum->vectors, m), grid->comm));
    return NTK_OK;
}

/* Agree on the eigenvalues, flip them back to Theta's, and verify the pairs
 * while -Theta is still whole in the `uplo` triangle. */
static ntk_status finish(const ntk_grid *grid, const ntk_spectrum_workspace *ws,
                         const char *uplo, const ntk_dmatrix *theta, double *w,
                         ntk_spectrum *spectrum)
{
    /* pdsyevd leaves W wrong on processes that hold no part of the matrix
     * (M smaller than the block times the grid side): the values from grid
     * process (0, 0) - communicator rank 0, which always holds the first
     * block - are the ones to keep, on every rank. */
    NTK_MPI(MPI_Bcast(w, (int)theta->rows, MPI_DOUBLE, 0, grid->comm));
    const int64_t m = ws->kept_pairs;
    for (int64_t i = 0; i < m; ++i) {
        w[i] = -w[i];
        if (!isfinite(w[i]))
            return NTK_RAISE(NTK_ERR_NUMERIC, "%s returned a non-finite eigenvalue (%lld)",
                             spectrum->solver, (long long)i);
    }
    spectrum->max_relative_residual = NAN;
    spectrum->check.residual = spectrum->check.orthogonality = NAN;
    if (spectrum->vectors.data == NULL)
        return NTK_OK;
    ntk_eigenpair_check *check = &spectrum->check;
    const double started = MPI_Wtime();
    NTK_TRY(spectrum_check_eigenpairs(grid, uplo, theta, &spectrum->vectors, w, check));
    spectrum->max_relative_residual = check->residual;
    spectrum->check_seconds = MPI_Wtime() - started;
    char how[64] = "exact, each pair";
    if (check->probes > 0)
        snprintf(how, sizeof how, "%d random probes", check->probes);
    ntk_log("eigenpair check (%s): max ||Theta v - lambda v|| / ||Theta|| = %.2e, "
            "||(V^T V - I) c|| = %.2e over %lld pairs (%.2f s)",
            how, check->residual, check->orthogonality, (long long)m,
            spectrum->check_seconds);
    if (!(check->residual <= SPECTRUM_RESIDUAL_LIMIT))
        return NTK_RAISE(NTK_ERR_NUMERIC,
                         "%s returned wrong eigenpairs: max ||Theta v - lambda v|| / ||Theta|| = "
                         "%.3g over %lld pairs (check: %s), above the limit %.0e",
                         spectrum->solver, check->residual, (long long)m, how,
                         SPECTRUM_RESIDUAL_LIMIT);
    if (!(check->orthogonality <= SPECTRUM_ORTHOGONALITY_LIMIT))
        return NTK_RAISE(NTK_ERR_NUMERIC,
                         "%s returned eigenvectors that are not orthonormal: ||(V^T V - I) c|| = "
                         "%.3g over %lld pairs (%d random probes), above the limit %.0e",
                         spectrum->solver, check->orthogonality, (long long)m,
                         SPECTRUM_CHECK_PROBES, SPECTRUM_ORTHOGONALITY_LIMIT);
    return NTK_OK;
}

/* The solve on `grid`, whatever layout that is. */
static ntk_status solve_on_grid(const ntk_spectrum_spec *spec, const ntk_grid *grid,
                                const ntk_solver_site *site, ntk_dmatrix *theta,
                                ntk_spectrum *spectrum)
{
    const int64_t n = theta->rows;
    if (theta->cols != n || n < 1)
        return NTK_RAISE(NTK_ERR_INTERNAL, "eigensolve: Theta is %lld x %lld",
                         (long long)theta->rows, (long long)theta->cols);
    /* Both solvers need square blocks (MB = NB), and Z must share them. */
    if (theta->desc[DESC_MB] != theta->desc[DESC_NB] || theta->desc[DESC_NB] != grid->block)
        return NTK_RAISE(NTK_ERR_INTERNAL, "eigensolve: Theta's blocks are %d x %d, not %d x %d",
                         theta->desc[DESC_MB], theta->desc[DESC_NB], grid->block, grid->block);
    if (spec->top < 0 || spec->top > n)
        return NTK_RAISE(NTK_ERR_JOB, "spectrum.top: %lld is more than the matrix size M = %lld",
                         (long long)spec->top, (long long)n);
    ntk_spectrum_workspace ws;
    spectrum_workspace_at(spec, site, n, grid->rows, grid->cols, grid->block, &ws);
    if (ws.solver == NTK_SOLVER_AUTO || ws.solver == NTK_SOLVER_NONE)
        return NTK_RAISE(NTK_ERR_INTERNAL, "eigensolve called with solver '%s'",
                         spectrum_solver_name(spec->solver));
    if (!spectrum_have_elpa() && (ws.solver == NTK_SOLVER_ELPA || ws.solver == NTK_SOLVER_ELPA1))
        return NTK_RAISE(NTK_ERR_JOB,
                         "spectrum.solver: %s needs ELPA, but this ntkgram was built without it",
                         spectrum_solver_name(ws.solver));
    if (ws.solver != spec->solver && spec->solver != NTK_SOLVER_AUTO)
        ntk_warn("spectrum.solver %s: using %s: %s", spectrum_solver_name(spec->solver),
                 spectrum_solver_name(ws.solver), ws.reason);
    ntk_log("eigensolver %s (%s)", spectrum_solver_name(ws.solver), ws.reason);

    NTK_TRY(ntk_agree(check_finite_lower(grid, theta), grid->comm));
    NTK_TRY(diagonal_trace(grid, theta, &spectrum->diagonal_sum));
    /* The solvers destroy the lower triangle and the diagonal only: with the
     * upper triangle mirrored and the diagonal saved, Theta survives for the
     * residual check without a copy (spectrum/verify.c). ELPA reads both
     * triangles. Without eigenvectors to check, the ScaLAPACK drivers need
     * only the lower one, and the mirror (a pdtran of the whole matrix) is
     * skipped; so it is for lapack, which only reads the distributed matrix:
     * the check then reads the lower triangle. */
    const int elpa = ws.solver == NTK_SOLVER_ELPA || ws.solver == NTK_SOLVER_ELPA1;
    const int lapack = ws.solver == NTK_SOLVER_LAPACK;
    if ((spec->vectors && !lapack) || ws.solver == NTK_SOLVER_PDSYEVD || elpa)
        NTK_TRY(dmatrix_symmetrize_from_lower(grid, theta));

    /* -Theta: ascending eigenvalues of it are the descending ones of Theta.
     * Negating every local entry is exact. */
    const size_t local_count = (size_t)theta->desc[DESC_LLD] * (size_t)theta->local_cols;
    for (size_t e = 0; e < local_count; ++e)
        theta->data[e] = -theta->data[e];

    double *w = NULL, *diagonal = NULL;
    ntk_status status = NTK_CALLOC(w, n, "eigenvalues");
    if (status == NTK_OK)
        status = NTK_CALLOC(diagonal, theta->local_cols > 0 ? theta->local_cols : 1,
                            "the diagonal of Theta");
    NTK_TRY_GOTO(status, ntk_agree(status, grid->comm), failed);
    copy_diagonal(grid, theta, diagonal, 1);
    NTK_TRY_GOTO(status, run_solver(spec, grid, &ws, theta, w, spectrum), failed);
    copy_diagonal(grid, theta, diagonal, 0);
    free(diagonal);
    diagonal = NULL;
    const char *intact = lapack ? "L" : "U"; /* the triangle the solver left whole */
    NTK_TRY_GOTO(status, ntk_agree(finish(grid, &ws, intact, theta, w, spectrum), grid->comm),
                 failed);
    if (!spec->vectors)
        dmatrix_destroy(&spectrum->vectors); /* pdsyevd's, checked above, not asked for */
    spectrum->n_pairs = ws.kept_pairs;
    spectrum->have_vectors = spec->vectors;
    spectrum->values = w; /* the first m entries are used */
    return NTK_OK;

failed:
    free(diagonal);
    free(w);
    dmatrix_destroy(&spectrum->vectors);
    return status;
}

/* Theta to the solve layout, the assembly copy freed, the solve there, and
 * the eigenvectors back on `grid` (spectrum/layout.c says why). */
static ntk_status solve_moved(const ntk_spectrum_spec *spec, const ntk_grid *grid,
                              const ntk_solver_site *site, const ntk_solve_layout *layout,
                              ntk_dmatrix *theta, ntk_spectrum *spectrum)
{
    ntk_grid solve_grid;
    NTK_TRY(grid_create(grid->comm, layout->block, layout->rows, layout->cols, &solve_grid));
    double started = MPI_Wtime();
    ntk_dmatrix moved;
    /* Every solver reads the lower triangle only; the upper one is mirrored
     * from it on the solve grid where needed (solve_on_grid). */
    ntk_status status = spectrum_redistribute(grid, theta, &solve_grid, 1, &moved);
    if (status == NTK_OK)
        dmatrix_destroy(theta);
    double seconds = MPI_Wtime() - started;
    if (status == NTK_OK) {
        ntk_log("Theta moved from the %d x %d grid, block %d, to %d x %d, block %d, for the "
                "eigensolve (%.2f s)",
                grid->rows, grid->cols, grid->block, layout->rows, layout->cols, layout->block,
                seconds);
        status = solve_on_grid(spec, &solve_grid, site, &moved, spectrum);
    }
    dmatrix_destroy(&moved);
    if (status == NTK_OK && spectrum->vectors.data != NULL) {
        started = MPI_Wtime();
        ntk_dmatrix back;
        status = spectrum_redistribute(&solve_grid, &spectrum->vectors, grid, 0, &back);
        if (status == NTK_OK) {
            dmatrix_destroy(&spectrum->vectors);
            spectrum->vectors = back;
            seconds += MPI_Wtime() - started;
        } else {
            spectrum_free(spectrum);
        }
    }
    grid_destroy(&solve_grid);
    spectrum->redistribute_seconds = seconds;
    return status;
}

ntk_status spectrum_solve(const ntk_spectrum_spec *spec, const ntk_grid *grid,
                          ntk_dmatrix *theta, ntk_spectrum *spectrum)
{
    memset(spectrum, 0, sizeof *spectrum);
    ntk_solver_site site;
    NTK_TRY(spectrum_site_detect(grid->comm, &site));
    const ntk_solver solver = spectrum_resolve_solver_at(spec, theta->rows, &site, NULL);
    ntk_solve_layout layout;
    spectrum_solve_layout(spec, solver, grid->size, theta->rows, grid->rows, grid->cols,
                          grid->block, &layout);
    spectrum->solve_rows = layout.rows;
    spectrum->solve_cols = layout.cols;
    spectrum->solve_block = layout.block;
    if (!layout.moved)
        return solve_on_grid(spec, grid, &site, theta, spectrum);
    /* The assembly grid checks what it can before anything moves. */
    if (theta->cols != theta->rows || theta->rows < 1 || theta->desc[DESC_NB] != grid->block)
        return NTK_RAISE(NTK_ERR_INTERNAL, "eigensolve: Theta is %lld x %lld, block %d",
                         (long long)theta->rows, (long long)theta->cols, theta->desc[DESC_NB]);
    return solve_moved(spec, grid, &site, &layout, theta, spectrum);
}

void spectrum_free(ntk_spectrum *spectrum)
{
    free(spectrum->values);
    free(spectrum->pair_residual);
    dmatrix_destroy(&spectrum->vectors);
    memset(spectrum, 0, sizeof *spectrum);
}
