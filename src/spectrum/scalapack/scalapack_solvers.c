/* ScaLAPACK's eigensolvers (see spectrum/eigensolver.h): pdsyevd (divide
 * and conquer, every eigenpair) and pdsyevr (MRRR: eigenvalues only, or the
 * top k pairs), their workspaces by the documented ScaLAPACK 2.2.1
 * formulas, their flops and their ops tables.
 *
 * Workspace sizes are computed in 64 bits from the documented formulas;
 * the (32-bit) workspace queries are taken into account when larger, but
 * cannot be trusted alone because they overflow silently for large local
 * blocks. Every call is checked with grid_check_scalapack, which also sees
 * complaints of routines deep inside a driver (grid/scalapack_errors.c).
 * Both read the lower triangle only; with UPLO = 'L' they destroy it and the
 * diagonal, so the upper triangle keeps -Theta for the residual check. */
#include "spectrum/eigensolver.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grid/scalapack.h"
#include "spectrum/scalapack/scalapack_drivers.h"

enum { DESC_LLD = 8 };

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

ntk_status scalapack_workspace_fits(int64_t entries, const char *solver)
{
    if (entries > INT_MAX)
        return NTK_RAISE(NTK_ERR_MEMORY,
                         "%s needs %lld workspace entries per rank, more than ScaLAPACK's 32-bit "
                         "limit; use more ranks (or spectrum.top / vectors: false)",
                         solver, (long long)entries);
    return NTK_OK;
}

ntk_status scalapack_check_solver(const char *call, int info, int64_t n)
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
    ntk_status status = scalapack_workspace_fits(lwork, solver);
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
static ntk_status solve_pdsyevd_on(const ntk_grid *grid, const ntk_spectrum_workspace *ws,
                                   ntk_dmatrix *theta, double *w, ntk_dmatrix *z)
{
    const int64_t n = theta->rows;
    const int64_t lwork = ws->lwork;
    ntk_status status = scalapack_workspace_fits(lwork, "pdsyevd");
    if (status == NTK_OK)
        status = dmatrix_create(grid, n, n, z);
    NTK_TRY(ntk_agree(status, grid->comm));

    const int size = (int)n, one = 1, query = -1;
    int info = 0, iwork_query = 0, liwork_query = 1;
    double work_query = 0.0;
    pdsyevd_("V", "L", &size, theta->data, &one, &one, theta->desc, w, z->data, &one, &one,
             z->desc, &work_query, &query, &iwork_query, &liwork_query, &info, 1, 1);
    NTK_TRY(ntk_agree(scalapack_check_solver("pdsyevd (workspace query)", info, n), grid->comm));
    solver_work work;
    status = solver_work_create(grid, "pdsyevd", max64(lwork, (int64_t)work_query),
                                max64(ws->liwork, iwork_query), &work);
    if (status == NTK_OK) {
        pdsyevd_("V", "L", &size, theta->data, &one, &one, theta->desc, w, z->data, &one, &one,
                 z->desc, work.work, &work.lwork, work.iwork, &work.liwork, &info, 1, 1);
        status = scalapack_check_solver("pdsyevd", info, n);
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
static ntk_status solve_pdsyevr_on(const ntk_grid *grid, const ntk_spectrum_workspace *ws,
                                   ntk_dmatrix *theta, double *w, ntk_dmatrix *z)
{
    const int64_t n = theta->rows, pairs = ws->solved_pairs;
    const int64_t nb = grid->block;
    const int want_vectors = z != NULL;
    const int64_t lwork = ws->lwork;
    ntk_status status = scalapack_workspace_fits(lwork, "pdsyevr");

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
             &iwork_query, &query, &info, 1, 1, 1);
    NTK_TRY(ntk_agree(scalapack_check_solver("pdsyevr (workspace query)", info, n), grid->comm));
    solver_work work;
    status = solver_work_create(grid, "pdsyevr", max64(lwork, (int64_t)work_query),
                                max64(ws->liwork, iwork_query), &work);
    if (status == NTK_OK) {
        pdsyevr_(jobz, range, "L", &size, theta->data, &one, &one, theta->desc, &vl, &vu, &il,
                 &iu, &found, &found_vectors, w, z_data, &one, &one, z_desc, work.work,
                 &work.lwork, work.iwork, &work.liwork, &info, 1, 1, 1);
        status = scalapack_check_solver("pdsyevr", info, n);
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


/* pdsyevd always computes every eigenvector (JOBZ = 'N' is not
 * implemented); a subset or values-only request keeps less (solve.c). */
static ntk_status pdsyevd_solve(const eigensolver_call *call)
{
    snprintf(call->detail, call->detail_size, "scalapack pdsyevd");
    return solve_pdsyevd_on(call->grid, call->workspace, call->minus_theta, call->w,
                            call->vectors);
}

static ntk_status pdsyevr_solve(const eigensolver_call *call)
{
    snprintf(call->detail, call->detail_size, "scalapack pdsyevr");
    return solve_pdsyevr_on(call->grid, call->workspace, call->minus_theta, call->w,
                            call->vectors);
}

/* pdsyevr hands PDORMTR (the back-transformation of the eigenvectors) a
 * workspace of its own choosing, SIZE1 = max(18 N, NP00 MQ00 + 2 NB^2) with
 * MQ00 the local columns of the wanted pairs, whatever LWORK the caller
 * gives. PDORMTR needs max(NB (NB-1)/2, (MPC0 + NQC0) NB) + NB^2, with MPC0 <=
 * NP00 and NQC0 <= MQ00. For fewer wanted pairs than a block (MQ00 < NB < NP00)
 * SIZE1 is too small: PDORMTR refuses, pdsyevr returns INFO = 0 and the
 * eigenvectors of the tridiagonal matrix instead of Theta's (issue 7,
 * defect 1). So true when computing `pairs` pairs passes PDORMTR's check. */
static int pdsyevr_back_transform_fits(int64_t n, int64_t pairs, int64_t nb, int rows, int cols)
{
    const int64_t np00 = grid_local_count(n, (int)nb, 0, rows);
    const int64_t mq00 = grid_local_count(pairs, (int)nb, 0, cols);
    const int64_t given = max64(18 * n, np00 * mq00 + 2 * nb * nb);
    const int64_t needed = max64(nb * (nb - 1) / 2, (np00 + mq00) * nb) + nb * nb;
    return given >= needed;
}

int64_t scalapack_evd_lwork(int64_t n, int64_t nb, int rows, int cols)
{
    /* The documented minimum uses this process's local sizes, but pdstedc's
     * merge steps (pdlaed3) receive other processes' pieces into the same
     * array: a process with few or no local columns overflows it. Sizing it
     * with process (0, 0)'s counts - the largest - is safe. Added to it what
     * pdstedc's pdlasrt and pdormtr need after pdsyevd's 2N, which the
     * documented formula can miss (Reference-ScaLAPACK issue 74). */
    const int64_t np = grid_local_count(n, (int)nb, 0, rows);
    const int64_t nq = grid_local_count(n, (int)nb, 0, cols);
    int64_t lwork = max64(1 + 6 * n + 2 * np * nq, 3 * n + max64(nb * (np + 1), 3 * nb)) + 2 * n;
    lwork = max64(lwork, 2 * n + max64(n, np * (nb + nq)));
    return max64(lwork, 2 * n + (np + nq + nb) * nb + nb * nb);
}

int64_t scalapack_evd_liwork(int64_t n, int cols) { return 7 * n + 8 * (int64_t)cols + 2; }

int64_t scalapack_evr_values_lwork(int64_t n, int64_t nb, int rows)
{
    /* pdsyevr's LWMIN; PDSYNTRD (the tridiagonal reduction) gets what is
     * left after the first 5N + 2 entries and needs max(NB (NP+1), 3 NB)
     * of it, which the values-only formula lacks (issue 7, defect 2). */
    const int64_t np00 = grid_local_count(n, (int)nb, 0, rows);
    return max64(5 * n + 2 + 12 * n, 5 * n + 2 + max64(nb * (np00 + 1), 3 * nb));
}

int64_t scalapack_evr_values_liwork(int64_t n, int rows, int cols)
{
    return 10 * max64(max64(n, (int64_t)rows * cols + 1), 4) + 2 * n;
}

static void pdsyevd_workspace(const eigensolver_request *request, ntk_spectrum_workspace *ws)
{
    const int64_t n = request->matrix_size, nb = request->block;
    const int rows = request->grid_rows, cols = request->grid_cols;
    const int64_t nq = grid_local_count(n, (int)nb, 0, cols);
    ws->lwork = scalapack_evd_lwork(n, nb, rows, cols);
    ws->liwork = scalapack_evd_liwork(n, cols);
    ws->solved_pairs = n;
    ws->solved_values = n;
    ws->vector_local_cols = nq; /* all M columns until the kept ones are cut */
}

static void pdsyevr_workspace(const eigensolver_request *request, ntk_spectrum_workspace *ws)
{
    const int64_t n = request->matrix_size, nb = request->block;
    const int rows = request->grid_rows, cols = request->grid_cols;
    const int want_vectors = request->spec->vectors;
    const int64_t nprocs = (int64_t)rows * cols;
    const int64_t np00 = grid_local_count(n, (int)nb, 0, rows);
    int64_t pairs = ws->kept_pairs;
    if (want_vectors)
        while (pairs < n && !pdsyevr_back_transform_fits(n, pairs, nb, rows, cols))
            ++pairs; /* at most NB steps: NB pairs always fit (see above) */
    ws->solved_pairs = pairs;
    ws->solved_values = pairs;
    /* pdsyevr's LWMIN, with PDSYNTRD's room as in scalapack_evr_values_lwork. */
    ws->lwork = scalapack_evr_values_lwork(n, nb, rows);
    if (want_vectors) {
        const int64_t mq00 = grid_local_count(pairs, (int)nb, 0, cols);
        ws->lwork = max64(ws->lwork, 5 * n + 2 + max64(18 * n, np00 * mq00 + 2 * nb * nb) +
                                         ((pairs + nprocs - 1) / nprocs + 2) * n);
    }
    /* For JOBZ = 'N' ScaLAPACK 2.2.1's workspace query asks for far more
     * than the documented minimum: the room PDSYNTRD takes to reduce on a
     * square subgrid of floor(sqrt(P))^2 processes, NPS (NPS + 2 NB + 12) +
     * 5 N + 68 doubles with NPS = ceil(N / floor(sqrt(P))) (fitted to the
     * query's answers at N = 1000, 2000, 3000 on 1, 1 x 2 and 2 x 2 grids,
     * NB 64), and the solve allocates what the query answers. lwork stays
     * the documented minimum (the solve passes max(lwork, query), unchanged);
     * plan counts the rest as the library's own, below. */
    int64_t query_extra = 0;
    if (!want_vectors) {
        int64_t square = 1;
        while ((square + 1) * (square + 1) <= nprocs)
            ++square;
        const int64_t nps = (n + square - 1) / square;
        query_extra = max64(nps * (nps + 2 * nb + 12) + 5 * n + 68 - ws->lwork, 0);
    }
    const int64_t nnp = max64(max64(n, nprocs + 1), 4);
    ws->liwork = want_vectors ? 12 * nnp + 2 * n : scalapack_evr_values_liwork(n, rows, cols);
    /* pdsyevr allocates beyond WORK during its reduction (ScaLAPACK 2.2.1,
     * peak RSS during the call minus the RSS before it and WORK, values
     * only): about one local matrix on a square grid (1 x 1, 2 x 2) and one
     * and a half on a 1 x 2 grid (docs/performance.md, "How close plan
     * is"). */
    const int64_t local = np00 * grid_local_count(n, (int)nb, 0, cols);
    ws->internal_doubles = (rows == cols ? local : local + local / 2) + query_extra;
    ws->vector_local_cols = want_vectors ? grid_local_count(pairs, (int)nb, 0, cols) : 0;
}


/* reduction 4/3 M^3, divide and conquer + back-transformation 4 M^3 */
static double pdsyevd_flops(const ntk_spectrum_workspace *ws, int64_t matrix_size)
{
    (void)ws;
    const double m = (double)matrix_size;
    return (4.0 / 3.0 + 4.0) * m * m * m;
}

/* the reduction, and back-transforming the pairs solved */
static double pdsyevr_flops(const ntk_spectrum_workspace *ws, int64_t matrix_size)
{
    const double m = (double)matrix_size;
    const int vectors = ws->vector_local_cols > 0;
    return 4.0 / 3.0 * m * m * m + (vectors ? 2.0 * m * m * (double)ws->solved_pairs : 0.0);
}

/* Seconds: spectrum/workspace.c's table (N = 4096, 2 ranks). pdsyevd is
 * never auto's choice for less than all pairs: it computes them anyway. */
const ntk_eigensolver_ops spectrum_pdsyevd_ops = {
    .id = NTK_SOLVER_PDSYEVD,
    .name = "pdsyevd",
    .family = "scalapack",
    .capabilities = EIGENSOLVER_VECTORS | EIGENSOLVER_ALL_PAIRS | EIGENSOLVER_SEVERAL_NODES |
                    EIGENSOLVER_OWN_LAYOUT | EIGENSOLVER_ASSEMBLED | EIGENSOLVER_ALWAYS_VECTORS,
    .measured_seconds = {300.5, 0.0, 0.0},
    .auto_sentence = "ScaLAPACK: no faster solver applies (this ntkgram has no ELPA, or for "
                     "kernel.precision float32 an ELPA without single precision)",
    .memory_sentence = "the faster solvers' planned peak exceeds the memory per rank: pdsyevd "
                       "fits",
    .workspace = pdsyevd_workspace,
    .flops = pdsyevd_flops,
    .solve = pdsyevd_solve,
    .alternative = "pdsyevr or lapack",
    .float32_capabilities = EIGENSOLVER_VECTORS | EIGENSOLVER_ALL_PAIRS,
    .solve_float32 = scalapack_float32_pssyevd,
};

const ntk_eigensolver_ops spectrum_pdsyevr_ops = {
    .id = NTK_SOLVER_PDSYEVR,
    .name = "pdsyevr",
    .family = "scalapack",
    .capabilities = EIGENSOLVER_VALUES_ONLY | EIGENSOLVER_VECTORS | EIGENSOLVER_TOP_K |
                    EIGENSOLVER_ALL_PAIRS | EIGENSOLVER_SEVERAL_NODES | EIGENSOLVER_OWN_LAYOUT |
                    EIGENSOLVER_ASSEMBLED,
    .measured_seconds = {0.0, 55.7, 34.8},
    .auto_sentence = "ScaLAPACK: no faster solver applies (this ntkgram has no ELPA, or for "
                     "kernel.precision float32 an ELPA without single precision)",
    .memory_sentence = "the faster solvers' planned peak exceeds the memory per rank: pdsyevr "
                       "fits",
    .workspace = pdsyevr_workspace,
    .flops = pdsyevr_flops,
    .solve = pdsyevr_solve,
    .alternative = "pdsyevd (all pairs) or lapack",
    .float32_capabilities = EIGENSOLVER_VALUES_ONLY | EIGENSOLVER_ALL_PAIRS,
    .solve_float32 = scalapack_float32_pssyevr,
};
