/* The distributed eigensolve of Theta (see spectrum.h): what every solver
 * shares, around the solve its ops table provides (spectrum/eigensolver.h;
 * the solvers live in their family folders: scalapack/, elpa/, node/,
 * parpack/; docs/solvers.md).
 *
 * ScaLAPACK returns ascending eigenvalues and pdsyevr's index range counts
 * from the smallest, so we solve for -Theta: its IL = 1 .. IU = top are the
 * top largest of Theta, already in descending order, and the eigenvectors
 * are the same. Here: the size and finiteness checks, the mirror for
 * solvers that read both triangles, the negation, the scaling into the
 * solver's safe range (spectrum/scaling.h), the checks of the answer
 * (verify.c, verify_probes.c, verify_values.c), and the layout move
 * (layout.c). The solvers destroy the lower triangle and the diagonal at
 * most; ELPA overwrites both triangles, so it works on a copy and -Theta
 * stays for the residual check.
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
#include "spectrum/eigensolver.h"
#include "spectrum/scaling.h"
#include "spectrum/solvers.h"

enum { DESC_MB = 4, DESC_NB = 5, DESC_LLD = 8 };

/* Global row `row` is local to this process row: its local index. */
static int64_t local_row_of(const ntk_grid *grid, int64_t row)
{
    return (row / ((int64_t)grid->block * grid->rows)) * grid->block + row % grid->block;
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

/* Solve -Theta (already negated) with the resolved solver's ops; leaves
 * the kept eigenvectors (when computed) in spectrum->vectors. */
static ntk_status run_solver(const ntk_spectrum_spec *spec, const ntk_grid *grid,
                             const ntk_eigensolver_ops *ops, const ntk_spectrum_workspace *ws,
                             ntk_dmatrix *theta, double *w, ntk_spectrum *spectrum)
{
    const int64_t m = ws->kept_pairs;
    spectrum->solver = spectrum_solver_name(ws->solver);
    const int always_vectors = (ops->capabilities & EIGENSOLVER_ALWAYS_VECTORS) != 0;
    /* A request for less than the solver computes is honoured: ScaLAPACK's
     * pdsyevd has no values-only mode and computes every eigenpair, so a
     * top-k or values-only request keeps less of them (the checks run on
     * what is kept, finish()); the log and summary.yaml say both. */
    const int64_t computed_vectors = spec->vectors || always_vectors ? ws->solved_pairs : 0;
    spectrum->computed_values = ws->solved_values;
    spectrum->computed_vectors = computed_vectors;
    ntk_log("%s computes %lld eigenvalue%s and %lld eigenvector%s; keeping the top %lld "
            "eigenvalue%s%s",
            ops->name, (long long)ws->solved_values, ws->solved_values == 1 ? "" : "s",
            (long long)computed_vectors, computed_vectors == 1 ? "" : "s", (long long)m,
            m == 1 ? "" : "s", spec->vectors ? " with their eigenvectors" : " only");
    const eigensolver_call call = {grid,
                                   ws,
                                   theta,
                                   w,
                                   spec->vectors || always_vectors ? &spectrum->vectors : NULL,
                                   spectrum->solver_detail,
                                   sizeof spectrum->solver_detail};
    NTK_TRY(ops->solve(&call));
    if (spectrum->vectors.data != NULL && spectrum->vectors.cols > m)
        NTK_TRY(ntk_agree(keep_leading_columns(grid, &spectrum->vectors, m), grid->comm));
    return NTK_OK;
}

/* What to try when `solver`'s answer fails its check (the message says it). */
static const char *alternative_solver(ntk_solver solver)
{
    const ntk_eigensolver_ops *ops = eigensolver_find(solver);
    return ops != NULL && ops->alternative != NULL ? ops->alternative : "another solver";
}

/* The eigenpair check, on -Theta and eigenvalues both multiplied by
 * `factor` (the scaling of the solve: spectrum/scaling.h), so that it sees
 * entries in the safe range whatever Theta's scale. */
static ntk_status check_pairs(const ntk_grid *grid, const ntk_spectrum_workspace *ws,
                              const char *uplo, const ntk_dmatrix *theta, const double *values,
                              ntk_spectrum *spectrum)
{
    const int64_t m = ws->kept_pairs;
    ntk_eigenpair_check *check = &spectrum->check;
    const double started = MPI_Wtime();
    NTK_TRY(spectrum_check_eigenpairs(grid, uplo, theta, &spectrum->vectors, values, check));
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
                         "%.3g over %lld pairs (check: %s), above the limit %.0e; use "
                         "spectrum.solver: %s",
                         spectrum->solver, check->residual, (long long)m, how,
                         SPECTRUM_RESIDUAL_LIMIT, alternative_solver(ws->solver));
    if (!(check->orthogonality <= SPECTRUM_ORTHOGONALITY_LIMIT))
        return NTK_RAISE(NTK_ERR_NUMERIC,
                         "%s returned eigenvectors that are not orthonormal: ||(V^T V - I) c|| = "
                         "%.3g over %lld pairs (%d random probes), above the limit %.0e; use "
                         "spectrum.solver: %s",
                         spectrum->solver, check->orthogonality, (long long)m,
                         SPECTRUM_CHECK_PROBES, SPECTRUM_ORTHOGONALITY_LIMIT,
                         alternative_solver(ws->solver));
    return NTK_OK;
}

/* The values-only check against Theta's moments (verify_values.c). */
static ntk_status check_values(const ntk_spectrum_workspace *ws,
                               const ntk_matrix_moments *moments, int64_t n, const double *w,
                               ntk_spectrum *spectrum)
{
    const int64_t m = ws->kept_pairs;
    spectrum->values_check = "moments";
    spectrum->values_check_error = spectrum_values_error(moments, w, m, n);
    ntk_log("eigenvalue check (trace, Frobenius norm, Rayleigh quotients): %.2e of lambda_max "
            "over %lld eigenvalues",
            spectrum->values_check_error, (long long)m);
    if (!(spectrum->values_check_error <= SPECTRUM_VALUES_LIMIT))
        return NTK_RAISE(NTK_ERR_NUMERIC,
                         "%s returned wrong eigenvalues: they miss Theta's trace, Frobenius norm "
                         "or Rayleigh quotients by %.3g of lambda_max, above the limit %.0e; use "
                         "spectrum.solver: %s",
                         spectrum->solver, spectrum->values_check_error, SPECTRUM_VALUES_LIMIT,
                         alternative_solver(ws->solver));
    return NTK_OK;
}

/* Agree on the eigenvalues, flip them back to Theta's, verify the pairs
 * while -Theta is still whole in the `uplo` triangle, and divide the
 * eigenvalues by `factor`. The ScaLAPACK and ELPA solvers ran on -Theta
 * times `factor`; lapack on -Theta itself (its rank-0 solver scales the
 * gathered copy by the same rule and returns unscaled eigenvalues), so for
 * the check its -Theta and eigenvalues are scaled here. `moments` (NULL
 * with eigenvectors) are Theta's, unscaled. */
static ntk_status finish(const ntk_grid *grid, const ntk_spectrum_workspace *ws,
                         const char *uplo, double factor, const ntk_matrix_moments *moments,
                         ntk_dmatrix *theta, double *w, ntk_spectrum *spectrum)
{
    /* pdsyevd leaves W wrong on processes that hold no part of the matrix
     * (M smaller than the block times the grid side): the values from grid
     * process (0, 0) - communicator rank 0, which always holds the first
     * block - are the ones to keep, on every rank. */
    NTK_MPI(MPI_Bcast(w, (int)theta->rows, MPI_DOUBLE, 0, grid->comm));
    const int64_t m = ws->kept_pairs;
    const int scaled_by_solver = !eigensolver_has(ws->solver, EIGENSOLVER_SCALES_ITSELF);
    for (int64_t i = 0; i < m; ++i) {
        w[i] = -w[i];
        if (!isfinite(w[i]))
            return NTK_RAISE(NTK_ERR_NUMERIC, "%s returned a non-finite eigenvalue (%lld); use "
                             "spectrum.solver: %s",
                             spectrum->solver, (long long)i, alternative_solver(ws->solver));
    }
    spectrum->max_relative_residual = NAN;
    spectrum->check.residual = spectrum->check.orthogonality = NAN;
    spectrum->values_check_error = NAN;
    if (spectrum->vectors.data != NULL) {
        if (scaled_by_solver || factor == 1.0) {
            NTK_TRY(check_pairs(grid, ws, uplo, theta, w, spectrum));
        } else {
            double *scaled = NULL;
            NTK_TRY(NTK_CALLOC(scaled, m, "the scaled eigenvalues"));
            for (int64_t i = 0; i < m; ++i)
                scaled[i] = w[i] * factor;
            spectrum_scale_local(theta, factor);
            ntk_status status = check_pairs(grid, ws, uplo, theta, scaled, spectrum);
            free(scaled);
            NTK_TRY(status);
        }
    }
    if (scaled_by_solver && factor != 1.0)
        for (int64_t i = 0; i < m; ++i)
            w[i] /= factor;
    if (spectrum->vectors.data == NULL && moments != NULL)
        NTK_TRY(check_values(ws, moments, theta->rows, w, spectrum));
    return NTK_OK;
}

/* dsyevd's range for every solver (spectrum/scaling.h), its lower end
 * raised to the solver's scale_floor (ELPA: 1). */
static double solve_scale_factor(const ntk_eigensolver_ops *ops, double largest)
{
    double low = 0.0, high = 0.0;
    spectrum_safe_range(&low, &high);
    if (ops->scale_floor > low)
        low = ops->scale_floor;
    return spectrum_scale_factor(largest, low, high);
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
    const ntk_eigensolver_ops *ops = eigensolver_find(ws.solver);
    if (ops == NULL || ops->solve == NULL)
        return NTK_RAISE(NTK_ERR_INTERNAL, "eigensolve called with solver '%s'",
                         spectrum_solver_name(spec->solver));
    NTK_TRY(spectrum_check_request(spec, ws.solver));
    if (ops->available != NULL && !ops->available())
        return NTK_RAISE(NTK_ERR_JOB,
                         "spectrum.solver: %s needs %s, but this ntkgram was built without it",
                         ops->name, ops->family);
    if (ws.solver != spec->solver && spec->solver != NTK_SOLVER_AUTO)
        ntk_warn("spectrum.solver %s: using %s: %s", spectrum_solver_name(spec->solver),
                 spectrum_solver_name(ws.solver), ws.reason);
    ntk_log("eigensolver %s (%s)", spectrum_solver_name(ws.solver), ws.reason);

    NTK_TRY(ntk_agree(check_finite_lower(grid, theta), grid->comm));
    NTK_TRY(diagonal_trace(grid, theta, &spectrum->diagonal_sum));
    double largest = 0.0;
    NTK_TRY(spectrum_largest_lower(grid, theta, &largest));
    /* Without eigenvectors there is no residual: the eigenvalues are
     * checked against Theta's moments, taken before the solver destroys it. */
    ntk_matrix_moments moments;
    if (!spec->vectors)
        NTK_TRY(spectrum_matrix_moments(grid, theta, largest, &moments));
    const double factor = solve_scale_factor(ops, largest);
    if (factor != 1.0)
        ntk_log("Theta scaled by %.3g for the eigensolve (largest entry %.3g; eigenvalues "
                "scaled back)",
                factor, largest);
    /* The solvers destroy the lower triangle and the diagonal only: with the
     * upper triangle mirrored and the diagonal saved, Theta survives for the
     * residual check without a copy (spectrum/verify.c). ELPA reads both
     * triangles. Without eigenvectors to check, the ScaLAPACK drivers need
     * only the lower one, and the mirror (a pdtran of the whole matrix) is
     * skipped; so it is for lapack, which only reads the distributed matrix:
     * the check then reads the lower triangle. */
    const unsigned caps = ops->capabilities;
    const int reads_only = (caps & EIGENSOLVER_READS_ONLY) != 0;
    if ((caps & EIGENSOLVER_READS_BOTH) ||
        (!reads_only && (spec->vectors || (caps & EIGENSOLVER_ALWAYS_VECTORS))))
        NTK_TRY(dmatrix_symmetrize_from_lower(grid, theta));

    /* -Theta: ascending eigenvalues of it are the descending ones of Theta.
     * Negating every local entry is exact. */
    const size_t local_count = (size_t)theta->desc[DESC_LLD] * (size_t)theta->local_cols;
    for (size_t e = 0; e < local_count; ++e)
        theta->data[e] = -theta->data[e];
    /* lapack's rank-0 solver scales its gathered copy itself (node_eigen.c) */
    if (!(caps & EIGENSOLVER_SCALES_ITSELF))
        spectrum_scale_local(theta, factor);

    double *w = NULL, *diagonal = NULL;
    ntk_status status = NTK_CALLOC(w, n, "eigenvalues");
    if (status == NTK_OK)
        status = NTK_CALLOC(diagonal, theta->local_cols > 0 ? theta->local_cols : 1,
                            "the diagonal of Theta");
    NTK_TRY_GOTO(status, ntk_agree(status, grid->comm), failed);
    copy_diagonal(grid, theta, diagonal, 1);
    NTK_TRY_GOTO(status, run_solver(spec, grid, ops, &ws, theta, w, spectrum), failed);
    copy_diagonal(grid, theta, diagonal, 0);
    free(diagonal);
    diagonal = NULL;
    const char *intact = reads_only ? "L" : "U"; /* the triangle the solver left whole */
    NTK_TRY_GOTO(status,
                 ntk_agree(finish(grid, &ws, intact, factor, spec->vectors ? NULL : &moments,
                                  theta, w, spectrum),
                           grid->comm),
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
    return spectrum_solve_within(spec, grid, theta, NULL, spectrum);
}

ntk_status spectrum_solve_within(const ntk_spectrum_spec *spec, const ntk_grid *grid,
                                 ntk_dmatrix *theta, const ntk_solve_budget *budget,
                                 ntk_spectrum *spectrum)
{
    memset(spectrum, 0, sizeof *spectrum);
    ntk_solver_site site;
    NTK_TRY(spectrum_site_within(grid->comm, budget, &site));
    /* the solver auto picks within the budget on the assembly's layout,
     * whose layout for the solve follows */
    ntk_spectrum_workspace chosen;
    spectrum_workspace_at(spec, &site, theta->rows, grid->rows, grid->cols, grid->block, &chosen);
    const ntk_solver solver = chosen.solver;
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
    smatrix_destroy(&spectrum->vectors_single);
    memset(spectrum, 0, sizeof *spectrum);
}
