/* The distributed eigensolve of Theta (see spectrum.h).
 *
 * ScaLAPACK returns ascending eigenvalues and pdsyevr's index range counts
 * from the smallest, so we solve for -Theta: its IL = 1 .. IU = top are the
 * top largest of Theta, already in descending order, and the eigenvectors
 * are the same. Workspace sizes are computed in 64 bits from the documented
 * formulas before the (32-bit) workspace queries, because the queries
 * overflow silently for large local blocks.
 */
#include "spectrum/spectrum.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "grid/scalapack.h"

enum { DESC_MB = 4, DESC_NB = 5, DESC_LLD = 8 };

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

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
        /* Global row `column` is local here: its local index follows from the
         * block-cyclic map. */
        const int64_t lr = (column / ((int64_t)grid->block * grid->rows)) * grid->block +
                           column % grid->block;
        local += theta->data[lr + lc * lld];
    }
    NTK_MPI(MPI_Allreduce(&local, trace, 1, MPI_DOUBLE, MPI_SUM, grid->comm));
    return NTK_OK;
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
    if (info != 0)
        return NTK_RAISE(NTK_ERR_INTERNAL, "descinit failed for the eigenvectors (info %d)", info);
    const size_t count = (size_t)lld * (size_t)(local_cols > 0 ? local_cols : 1);
    double *shrunk = realloc(matrix->data, count * sizeof(double));
    if (shrunk != NULL) /* a failed shrink leaves the larger block, still valid */
        matrix->data = shrunk;
    matrix->cols = m;
    matrix->local_cols = local_cols;
    return NTK_OK;
}

static ntk_status raise_solver_info(const char *solver, int info, int64_t n)
{
    if (info < 0)
        return NTK_RAISE(NTK_ERR_INTERNAL, "%s rejected its argument %d (info %d)", solver,
                         info > -100 ? -info : -info / 100, info);
    return NTK_RAISE(NTK_ERR_NUMERIC,
                     "%s did not converge (info %d, eigenvalue %lld of %lld); Theta may be badly "
                     "scaled or not symmetric",
                     solver, info, (long long)(info / (n + 1)), (long long)n);
}

/* All eigenpairs with divide and conquer. `z` is created M x M. */
static ntk_status solve_pdsyevd(const ntk_grid *grid, ntk_dmatrix *theta, double *w,
                                ntk_dmatrix *z)
{
    const int64_t n = theta->rows;
    const int64_t nb = grid->block;
    /* The documented minimum uses this process's local sizes, but pdstedc's
     * merge steps (pdlaed3) receive other processes' pieces into the same
     * array: a process with few or no local columns overflows it. Sizing it
     * with grid process (0, 0)'s counts — the largest — is safe. Added to it
     * what pdstedc's pdlasrt and pdormtr need after pdsyevd's 2N, which the
     * documented formula can miss (Reference-ScaLAPACK issue 74). */
    const int64_t np = grid_local_count(n, (int)nb, 0, grid->rows);
    const int64_t nq = grid_local_count(n, (int)nb, 0, grid->cols);
    int64_t lwork = max64(1 + 6 * n + 2 * np * nq, 3 * n + max64(nb * (np + 1), 3 * nb)) + 2 * n;
    lwork = max64(lwork, 2 * n + max64(n, np * (nb + nq)));
    lwork = max64(lwork, 2 * n + (np + nq + nb) * nb + nb * nb);
    ntk_status status = check_workspace_fits(lwork, "pdsyevd");
    if (status == NTK_OK)
        status = dmatrix_create(grid, n, n, z);
    NTK_TRY(ntk_agree(status, grid->comm));

    const int size = (int)n, one = 1, query = -1;
    int info = 0, iwork_query = 0, liwork_query = 1;
    double work_query = 0.0;
    pdsyevd_("V", "L", &size, theta->data, &one, &one, theta->desc, w, z->data, &one, &one,
             z->desc, &work_query, &query, &iwork_query, &liwork_query, &info);
    if (info != 0)
        return raise_solver_info("pdsyevd (workspace query)", info, n);
    lwork = max64(lwork, (int64_t)work_query);
    const int64_t liwork = max64(7 * n + 8 * (int64_t)grid->cols + 2, iwork_query);

    double *work = NULL;
    int *iwork = NULL;
    status = check_workspace_fits(lwork, "pdsyevd");
    if (status == NTK_OK)
        status = NTK_CALLOC(work, lwork, "pdsyevd workspace");
    if (status == NTK_OK)
        status = NTK_CALLOC(iwork, liwork, "pdsyevd integer workspace");
    status = ntk_agree(status, grid->comm);
    if (status == NTK_OK) {
        const int lwork_int = (int)lwork, liwork_int = (int)liwork;
        pdsyevd_("V", "L", &size, theta->data, &one, &one, theta->desc, w, z->data, &one, &one,
                 z->desc, work, &lwork_int, iwork, &liwork_int, &info);
        if (info != 0)
            status = raise_solver_info("pdsyevd", info, n);
    }
    free(iwork);
    free(work);
    NTK_TRY(ntk_agree(status, grid->comm));
    return NTK_OK;
}

/* The `m` largest eigenvalues of Theta (all when m == M) with MRRR, and
 * their eigenvectors when `z` is not NULL.
 *
 * pdsyevr requires Z's descriptor to be M x M, but writes only its first m
 * columns (pdlaevswp places eigenvector j in column KEY(j) <= m, pdormtr
 * updates M x m). For top-k runs we therefore allocate only the local
 * columns of those m, behind a full-size descriptor — M x k memory instead
 * of M x M — and guard the end of the allocation to catch a library that
 * writes further. */
static ntk_status solve_pdsyevr(const ntk_grid *grid, ntk_dmatrix *theta, int64_t m, double *w,
                                ntk_dmatrix *z)
{
    const int64_t n = theta->rows;
    const int64_t nb = grid->block;
    const int64_t nprocs = (int64_t)grid->rows * grid->cols;
    const int want_vectors = z != NULL;
    const int64_t np00 = grid_local_count(n, (int)nb, 0, grid->rows);
    const int64_t mq00 = grid_local_count(m, (int)nb, 0, grid->cols);
    int64_t lwork = want_vectors ? 5 * n + 2 + max64(18 * n, np00 * mq00 + 2 * nb * nb) +
                                       ((m + nprocs - 1) / nprocs + 2) * n
                                 : 5 * n + 2 + 12 * n;
    ntk_status status = check_workspace_fits(lwork, "pdsyevr");

    enum { GUARD = 64 };
    const double guard_value = -7.0e300;
    int64_t z_local_cols = 0, z_lld = 1;
    if (status == NTK_OK && want_vectors) {
        memset(z, 0, sizeof *z);
        z_lld = theta->desc[DESC_LLD];
        z_local_cols = grid_local_count(m, (int)nb, grid->mycol, grid->cols);
        const size_t count = (size_t)z_lld * (size_t)z_local_cols + GUARD;
        status = ntk_calloc(&z->data, count, sizeof(double), "the eigenvector block");
        if (status == NTK_OK) {
            for (int g = 0; g < GUARD; ++g)
                z->data[(size_t)z_lld * (size_t)z_local_cols + g] = guard_value;
            const int size = (int)n, inb = (int)nb, zero = 0, lld = (int)z_lld;
            int info = 0;
            descinit_(z->desc, &size, &size, &inb, &inb, &zero, &zero, &grid->context, &lld,
                      &info);
            if (info != 0)
                status = NTK_RAISE(NTK_ERR_INTERNAL, "descinit failed for Z (info %d)", info);
            z->rows = n;
            z->cols = n;
            z->local_rows = theta->local_rows;
            z->local_cols = z_local_cols;
        }
    }
    NTK_TRY(ntk_agree(status, grid->comm));

    const char *jobz = want_vectors ? "V" : "N";
    const char *range = m < n ? "I" : "A";
    /* With JOBZ = 'N' Z is not referenced; pass Theta's descriptor so the
     * argument is a valid one. */
    double *z_data = want_vectors ? z->data : theta->data;
    const int *z_desc = want_vectors ? z->desc : theta->desc;
    const int size = (int)n, one = 1, il = 1, iu = (int)m, query = -1;
    const double vl = 0.0, vu = 0.0;
    int found = 0, found_vectors = 0, info = 0, iwork_query = 0;
    double work_query = 0.0;
    pdsyevr_(jobz, range, "L", &size, theta->data, &one, &one, theta->desc, &vl, &vu, &il, &iu,
             &found, &found_vectors, w, z_data, &one, &one, z_desc, &work_query, &query,
             &iwork_query, &query, &info);
    if (info != 0)
        return raise_solver_info("pdsyevr (workspace query)", info, n);
    lwork = max64(lwork, (int64_t)work_query);
    const int64_t nnp = max64(max64(n, nprocs + 1), 4);
    const int64_t liwork = max64((want_vectors ? 12 : 10) * nnp + 2 * n, iwork_query);

    double *work = NULL;
    int *iwork = NULL;
    status = check_workspace_fits(lwork, "pdsyevr");
    if (status == NTK_OK)
        status = NTK_CALLOC(work, lwork, "pdsyevr workspace");
    if (status == NTK_OK)
        status = NTK_CALLOC(iwork, liwork, "pdsyevr integer workspace");
    status = ntk_agree(status, grid->comm);
    if (status == NTK_OK) {
        const int lwork_int = (int)lwork, liwork_int = (int)liwork;
        pdsyevr_(jobz, range, "L", &size, theta->data, &one, &one, theta->desc, &vl, &vu, &il,
                 &iu, &found, &found_vectors, w, z_data, &one, &one, z_desc, work, &lwork_int,
                 iwork, &liwork_int, &info);
        if (info != 0)
            status = raise_solver_info("pdsyevr", info, n);
        else if (found != (int)m || (want_vectors && found_vectors != (int)m))
            status = NTK_RAISE(NTK_ERR_NUMERIC,
                               "pdsyevr found %d eigenvalues and %d eigenvectors, expected %lld",
                               found, want_vectors ? found_vectors : found, (long long)m);
    }
    free(iwork);
    free(work);
    if (status == NTK_OK && want_vectors) {
        for (int g = 0; g < GUARD; ++g)
            if (z->data[(size_t)z_lld * (size_t)z_local_cols + g] != guard_value)
                status = NTK_RAISE(NTK_ERR_INTERNAL,
                                   "pdsyevr wrote beyond the first %lld eigenvector columns",
                                   (long long)m);
    }
    NTK_TRY(ntk_agree(status, grid->comm));
    if (want_vectors)
        NTK_TRY(keep_leading_columns(grid, z, m));
    return NTK_OK;
}

ntk_status spectrum_solve(const ntk_spectrum_spec *spec, const ntk_grid *grid,
                          ntk_dmatrix *theta, ntk_spectrum *spectrum)
{
    memset(spectrum, 0, sizeof *spectrum);
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

    ntk_solver solver = spec->solver;
    if (solver == NTK_SOLVER_AUTO)
        solver = (spec->vectors && spec->top == 0) ? NTK_SOLVER_PDSYEVD : NTK_SOLVER_PDSYEVR;
    if (solver != NTK_SOLVER_PDSYEVD && solver != NTK_SOLVER_PDSYEVR)
        return NTK_RAISE(NTK_ERR_INTERNAL, "eigensolve called with solver '%s'",
                         job_solver_name(spec->solver));
    const int64_t m = spec->top > 0 ? spec->top : n;

    NTK_TRY(ntk_agree(check_finite_lower(grid, theta), grid->comm));
    NTK_TRY(diagonal_trace(grid, theta, &spectrum->trace));

    /* -Theta: ascending eigenvalues of it are the descending ones of Theta.
     * Negating every local entry is exact and cheaper than finding the
     * lower triangle; the upper one is never read. */
    const size_t local_count = (size_t)theta->desc[DESC_LLD] * (size_t)theta->local_cols;
    for (size_t e = 0; e < local_count; ++e)
        theta->data[e] = -theta->data[e];

    double *w = NULL;
    NTK_TRY(ntk_agree(NTK_CALLOC(w, n, "eigenvalues"), grid->comm));
    ntk_status status = NTK_OK;
    if (solver == NTK_SOLVER_PDSYEVD) {
        /* pdsyevd always computes every eigenvector (JOBZ = 'N' is not
         * implemented); a subset or values-only request keeps less. */
        if (!spec->vectors || spec->top > 0)
            ntk_warn("pdsyevd computes all %lld eigenpairs; keeping %s", (long long)n,
                     spec->vectors ? "the requested top ones" : "the eigenvalues only");
        status = solve_pdsyevd(grid, theta, w, &spectrum->vectors);
        if (status == NTK_OK && spec->vectors && m < n)
            status = keep_leading_columns(grid, &spectrum->vectors, m);
        if (status == NTK_OK && !spec->vectors)
            dmatrix_destroy(&spectrum->vectors);
        spectrum->solver = "pdsyevd";
    } else {
        status = solve_pdsyevr(grid, theta, m, w, spec->vectors ? &spectrum->vectors : NULL);
        spectrum->solver = "pdsyevr";
    }

    /* pdsyevd leaves W wrong on processes that hold no part of the matrix
     * (M smaller than the block times the grid side): the values from grid
     * process (0, 0) — communicator rank 0, which always holds the first
     * block — are the ones to keep, on every rank. */
    status = ntk_agree(status, grid->comm);
    if (status != NTK_OK)
        goto failed;
    NTK_MPI_GOTO(status, MPI_Bcast(w, (int)n, MPI_DOUBLE, 0, grid->comm), failed);
    spectrum->m = m;
    spectrum->have_vectors = spec->vectors;
    spectrum->values = w; /* the first m entries are used */
    for (int64_t i = 0; i < m; ++i) {
        w[i] = -w[i];
        if (!isfinite(w[i]))
            status = NTK_RAISE(NTK_ERR_NUMERIC, "%s returned a non-finite eigenvalue (%lld)",
                               spectrum->solver, (long long)i);
    }
    if (status != NTK_OK) {
        spectrum_free(spectrum);
        return status;
    }
    return NTK_OK;

failed:
    free(w);
    dmatrix_destroy(&spectrum->vectors);
    return ntk_trace(status, __FILE__, __LINE__, __func__);
}

void spectrum_free(ntk_spectrum *spectrum)
{
    free(spectrum->values);
    dmatrix_destroy(&spectrum->vectors);
    memset(spectrum, 0, sizeof *spectrum);
}
