/* PARPACK's implicitly restarted Lanczos (pdsaupd / pdseupd) on the
 * matrix-free product: the largest algebraic eigenvalues ('LA') of Theta,
 * with the distributed vectors of PARPACK being each rank's own rows.
 *
 * PARPACK ships no C header; its prototypes are in core/lapack.h (with the
 * hidden string lengths: 2 for 'LA'). Its starting vector is ours (info = 1): a
 * counter-RNG value per global row, so the Krylov space - and the
 * eigenvalues to rounding - do not depend on the number of ranks. */
#include "spectrum/parpack/matrix_free.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/signals.h"
#include "core/log.h"
#include "core/random.h"
#include "grid/scalapack.h"

/* Streams of the counter RNG used here (keep them distinct from the data's
 * and the model's, see core/random.h). */
enum { START_VECTOR_SEED = 20261130, START_VECTOR_STREAM = 0x6d66 };

int64_t mf_basis_size(int64_t top, int64_t matrix_size)
{
    /* ARPACK's advice is ncv >= 2 nev; a few more vectors for small nev
     * make restarts cheaper relative to their progress. Measured at top
     * 100 (docs/matrix-free.md "The top of the spectrum without Theta"): k + 32, 3k/2
     * and 3k took as many or more products as 2k + 1 at N = 2000 and 5000. */
    int64_t ncv = 2 * top + 1 > top + 32 ? 2 * top + 1 : top + 32;
    return ncv < matrix_size ? ncv : matrix_size;
}

#ifdef NTK_HAVE_PARPACK
static const char *parpack_reason(int info)
{
    switch (info) {
    case 1: return "the maximum number of restarts was reached";
    case 3: return "no shifts could be applied during a restart (try a larger basis)";
    case -8: return "the tridiagonal eigenvalue problem (LAPACK dsteqr) failed";
    case -9: return "the starting vector is zero";
    case -14: return "no Ritz value converged";
    case -9999: return "the Lanczos factorization could not be built";
    default: return "an argument was rejected";
    }
}

/* PARPACK's info: > 0 and the failures of the iteration are numerical; the
 * argument checks (-1 .. -7, -10 .. -13, -15 .. -17) are ntkgram bugs. */
static ntk_status check_parpack(const char *call, int info)
{
    NTK_TRY(grid_check_scalapack(call, 0)); /* LAPACK's xerbla inside PARPACK */
    if (info == 0)
        return NTK_OK;
    const int numeric = info > 0 || info == -8 || info == -9 || info == -14 || info == -9999;
    return NTK_RAISE(numeric ? NTK_ERR_NUMERIC : NTK_ERR_INTERNAL, "%s: info %d: %s%s", call,
                     info, parpack_reason(info), numeric ? "" : "; this is a bug in ntkgram");
}
#endif

#ifdef NTK_HAVE_PARPACK
/* PARPACK's pairs wanted, basis size and tolerance. */
typedef struct {
    int nev, ncv;
    double tol; /* PARPACK's test: bound_i <= tol |theta_i| */
} lanczos_setup;

/* The safe point between two products, and the one collective that keeps
 * every rank in the reverse communication. PARPACK refuses a local length
 * of 0 (pdsaupd's info -1), so ranks without rows (N below the number of
 * ranks) do not call it: they only take part in the products, whose
 * MPI_Allreduce spans every rank. Each round, the ranks in PARPACK say
 * whether it asked for a product (they all get the same ido), every rank
 * says whether it received a stop signal, and one MPI_Allreduce tells all
 * ranks both. Collective over op->comm. */
static ntk_status next_product(const mf_operator *op, int in_parpack, int ido, int *product)
{
    char where[96];
    snprintf(where, sizeof where, "during the matrix-free eigensolve (after %lld product%s)",
             (long long)op->products, op->products == 1 ? "" : "s");
    checkpoint_test_pause(where);
    int local[2] = {in_parpack && (ido == -1 || ido == 1), checkpoint_signal_pending()};
    int agreed[2] = {0, 0};
    NTK_MPI(MPI_Allreduce(local, agreed, 2, MPI_INT, MPI_MAX, op->comm));
    *product = agreed[0];
    if (agreed[1] == 0)
        return NTK_OK;
    return NTK_RAISE(NTK_ERR_INTERRUPTED,
                     "interrupted by signal %s %s; no checkpoint for this phase (PARPACK's "
                     "iteration cannot be saved): rerun the same command to start over",
                     checkpoint_signal_name(agreed[1]), where);
}

/* Reverse communication until PARPACK has the Ritz pairs; then the pairs,
 * in PARPACK's ascending order, into `values`, `z` (rows x pairs) and
 * `estimates` (pdseupd's Ritz estimates, workl(ipntr(9)), which its source
 * documents as the error bounds of the Ritz values: for the standard
 * problem rnorm |e_ncv^T s_i|, ||Theta z_i - theta_i z_i|| in exact
 * arithmetic). PARPACK runs on `parpack_comm`, the ranks with rows
 * (MPI_COMM_NULL on the others, which get the values and estimates from
 * rank 0: grid_own_block gives rank 0 a row whenever N >= 1). */
static ntk_status lanczos(mf_operator *op, MPI_Comm parpack_comm, const lanczos_setup *setup,
                          double *values, double *z, double *estimates, int *found,
                          int64_t *restarts)
{
    const int in_parpack = parpack_comm != MPI_COMM_NULL;
    const MPI_Fint comm = in_parpack ? MPI_Comm_c2f(parpack_comm) : 0;
    const int n = (int)op->rows, ldv = n > 0 ? n : 1, nev = setup->nev, ncv = setup->ncv;
    const double tolerance = setup->tol;
    const int lworkl = ncv * (ncv + 8);
    double *resid = NULL, *v = NULL, *workd = NULL, *workl = NULL;
    int *select = NULL;
    ntk_status status = NTK_CALLOC(resid, ldv, "Lanczos residual");
    if (status == NTK_OK)
        status = NTK_CALLOC(v, (int64_t)ldv * ncv, "Lanczos basis");
    if (status == NTK_OK)
        status = NTK_CALLOC(workd, 3 * (int64_t)ldv, "Lanczos work vectors");
    if (status == NTK_OK)
        status = NTK_CALLOC(workl, lworkl, "Lanczos workspace");
    if (status == NTK_OK)
        status = NTK_CALLOC(select, ncv, "Ritz selection");
    NTK_TRY_GOTO(status, ntk_agree(status, op->comm), done);

    for (int r = 0; r < n; ++r)
        resid[r] = ntk_random_normal(START_VECTOR_SEED, START_VECTOR_STREAM,
                                     (uint64_t)(op->first_row + r));
    int iparam[11] = {0}, ipntr[11] = {0};
    iparam[0] = 1;    /* exact shifts */
    iparam[2] = 1000; /* restarts at most */
    iparam[6] = 1;    /* mode 1: standard problem, OP = Theta */
    int ido = 0, info = 1; /* info = 1: resid is the starting vector */
    for (;;) {
        if (in_parpack)
            pdsaupd_(&comm, &ido, "I", &n, "LA", &nev, &tolerance, resid, &ncv, v, &ldv, iparam,
                     ipntr, workd, workl, &lworkl, &info, 1, 2);
        int product = 0;
        NTK_TRY_GOTO(status, next_product(op, in_parpack, ido, &product), done);
        if (!product)
            break;
        /* y = Theta x: x at workd[ipntr[0] - 1], y at workd[ipntr[1] - 1]
         * (ranks without rows: no rows to read or write) */
        const double *x = in_parpack ? workd + ipntr[0] - 1 : workd;
        double *y = in_parpack ? workd + ipntr[1] - 1 : workd + ldv;
        NTK_TRY_GOTO(status, mf_operator_apply(op, x, 1, ldv, y), done);
    }
    /* info, restarts and converged pairs, the same on every rank */
    int outcome[3] = {info, iparam[2], iparam[4]};
    NTK_MPI_GOTO(status, MPI_Bcast(outcome, 3, MPI_INT, 0, op->comm), done);
    *restarts = outcome[1];
    /* Maximum restarts (info 1) still leaves iparam[4] converged pairs,
     * which pdseupd returns; the pair check decides what they are worth. */
    if (outcome[0] != 1)
        NTK_TRY_GOTO(status, ntk_agree(check_parpack("pdsaupd", outcome[0]), op->comm), done);
    if (outcome[2] < 1) {
        status = NTK_RAISE(NTK_ERR_NUMERIC,
                           "spectrum.solver matrix_free: no eigenpair converged in %d restarts "
                           "(%lld products)",
                           outcome[1], (long long)op->products);
        goto done;
    }
    const int rvec = 1;
    const double sigma = 0.0; /* pdseupd's sigma is for the shift-invert modes only */
    int ldz = ldv;
    info = 0;
    if (in_parpack)
        pdseupd_(&comm, &rvec, "A", select, values, z, &ldz, &sigma, "I", &n, "LA", &nev,
                 &tolerance, resid, &ncv, v, &ldv, iparam, ipntr, workd, workl, &lworkl, &info, 1,
                 1, 2);
    NTK_MPI_GOTO(status, MPI_Bcast(&info, 1, MPI_INT, 0, op->comm), done);
    NTK_TRY_GOTO(status, ntk_agree(check_parpack("pdseupd", info), op->comm), done);
    *found = outcome[2];
    for (int i = 0; in_parpack && i < *found; ++i)
        estimates[i] = workl[ipntr[8] - 1 + i];
    NTK_MPI_GOTO(status, MPI_Bcast(values, *found, MPI_DOUBLE, 0, op->comm), done);
    NTK_MPI_GOTO(status, MPI_Bcast(estimates, *found, MPI_DOUBLE, 0, op->comm), done);
done:
    free(resid);
    free(v);
    free(workd);
    free(workl);
    free(select);
    return status;
}

/* The ranks with rows, for PARPACK (MPI_COMM_NULL on the others).
 * Collective. */
static ntk_status parpack_communicator(const mf_operator *op, MPI_Comm *parpack_comm)
{
    int rank = 0;
    MPI_Comm_rank(op->comm, &rank);
    *parpack_comm = MPI_COMM_NULL;
    if (rank == 0 && op->rows < 1) /* grid_own_block: rank 0 has a row when N >= 1 */
        return ntk_agree(NTK_RAISE(NTK_ERR_INTERNAL, "matrix_free: rank 0 owns no rows"),
                         op->comm);
    NTK_TRY(ntk_agree(NTK_OK, op->comm));
    NTK_MPI(MPI_Comm_split(op->comm, op->rows > 0 ? 0 : MPI_UNDEFINED, rank, parpack_comm));
    return NTK_OK;
}

#endif

/* Descending order, eigenvector columns and estimates following their values. */
static void sort_descending(double *values, double *z, double *estimates, int64_t ld,
                            int64_t pairs, double *column)
{
    for (int64_t i = 1; i < pairs; ++i)
        for (int64_t j = i; j > 0 && values[j] > values[j - 1]; --j) {
            double t = values[j];
            values[j] = values[j - 1];
            values[j - 1] = t;
            t = estimates[j];
            estimates[j] = estimates[j - 1];
            estimates[j - 1] = t;
            memcpy(column, z + j * ld, sizeof(double) * (size_t)ld);
            memcpy(z + j * ld, z + (j - 1) * ld, sizeof(double) * (size_t)ld);
            memcpy(z + (j - 1) * ld, column, sizeof(double) * (size_t)ld);
        }
}

/* The check of the pairs (matrix_free_check.c): sets pair_residual,
 * pair_residuals_from and check; a failed probe or lost orthogonality is
 * NTK_ERR_NUMERIC. Collective. */
static ntk_status check_pairs(const ntk_spectrum_spec *spec, mf_operator *op, const double *z,
                              int64_t ld, const double *estimates, int64_t matrix_size,
                              double scale, ntk_spectrum *spectrum)
{
    const int64_t found = spectrum->n_pairs;
    const double divide = scale > 0.0 ? scale : 1.0;
    mf_probe_result probe;
    ntk_eigenpair_check *check = &spectrum->check;
    if (mf_pair_check_uses_probes(spec->pair_check, found)) {
        /* The estimates are the residuals of exact arithmetic (PARPACK's
         * converged top pairs show 1e-45); a computed product resolves
         * nothing below one rounding unit of lambda_max, so they are
         * written as at least DBL_EPSILON. That also keeps a tolerance
         * below rounding refused, as the exact check refuses it. */
        for (int64_t i = 0; i < found; ++i)
            spectrum->pair_residual[i] = fmax(estimates[i] / divide, DBL_EPSILON);
        NTK_TRY(mf_probe_pairs(op, z, ld, spectrum->values, spectrum->pair_residual, found, scale,
                               spec->tolerance, matrix_size, &probe));
        spectrum->pair_residuals_from = "ritz_estimates";
        check->method = "probes";
        check->probes = SPECTRUM_CHECK_PROBES;
        check->residual = probe.residual;
    } else {
        NTK_TRY(mf_exact_residuals(op, z, ld, spectrum->values, found, scale,
                                   spectrum->pair_residual));
        NTK_TRY(mf_probe_pairs(op, z, ld, spectrum->values, NULL, found, scale, spec->tolerance,
                               matrix_size, &probe));
        spectrum->pair_residuals_from = "products";
        check->method = "exact";
        check->probes = 0;
        check->residual = 0.0;
        for (int64_t i = 0; i < found; ++i)
            if (!(spectrum->pair_residual[i] <= check->residual))
                check->residual = spectrum->pair_residual[i];
    }
    check->orthogonality = probe.orthogonality;
    double largest_estimate = 0.0;
    for (int64_t i = 0; check->probes > 0 && i < found; ++i)
        largest_estimate = fmax(largest_estimate, spectrum->pair_residual[i]);
    if (check->probes > 0 && !(probe.limit_ratio <= 1.0))
        return NTK_RAISE(NTK_ERR_NUMERIC,
                         "spectrum.solver matrix_free: the eigenpair probes found residuals "
                         "%.3g relative to lambda_max, %.3g times what PARPACK's Ritz estimates "
                         "allow (largest estimate %.3g); the pairs are wrong (set "
                         "spectrum.pair_check: exact to see each pair's residual)",
                         probe.residual, probe.limit_ratio, largest_estimate);
    if (!(probe.orthogonality <= SPECTRUM_ORTHOGONALITY_LIMIT))
        return NTK_RAISE(NTK_ERR_NUMERIC,
                         "spectrum.solver matrix_free: the eigenvectors are not orthonormal "
                         "(||(V^T V - I) c|| = %.3g > %.3g)",
                         probe.orthogonality, SPECTRUM_ORTHOGONALITY_LIMIT);
    return NTK_OK;
}

ntk_status spectrum_solve_matrix_free(const ntk_spectrum_spec *spec, const ntk_grid *grid,
                                      mf_operator *op, ntk_spectrum *spectrum)
{
    memset(spectrum, 0, sizeof *spectrum);
#ifndef NTK_HAVE_PARPACK
    (void)spec;
    (void)grid;
    (void)op;
    (void)sort_descending;
    (void)check_pairs;
    return NTK_RAISE(NTK_ERR_JOB,
                     "spectrum.solver matrix_free needs PARPACK, and this ntkgram was built "
                     "without it (install libparpack2-dev and rebuild)");
#else
    int64_t matrix_size = 0;
    NTK_MPI(MPI_Allreduce(&op->rows, &matrix_size, 1, MPI_INT64_T, MPI_SUM, op->comm));
    const int64_t ld = op->rows > 0 ? op->rows : 1;
    /* PARPACK's tolerance is spectrum.tolerance. Its test is relative to
     * each Ritz value, ours to lambda_max, so it over-converges the small
     * pairs; but making it ours (PARPACK on Theta + sigma I, sigma a lower
     * bound of lambda_max from one product) saved no product at N = 2000
     * and 5000, top 100, and cost eigenvalue accuracy (eps sigma / lambda_k:
     * 1.6e-13): docs/matrix-free.md "The top of the spectrum without Theta". */
    const lanczos_setup setup = {(int)spec->top, (int)mf_basis_size(spec->top, matrix_size),
                                 spec->tolerance};
    const int ncv = setup.ncv;
    double *values = NULL, *z = NULL, *column = NULL, *estimates = NULL;
    int found = 0;
    int64_t restarts = 0;
    ntk_status status = NTK_CALLOC(values, ncv, "Ritz values");
    if (status == NTK_OK)
        status = NTK_CALLOC(z, ld * (ncv + 1), "Ritz vectors");
    if (status == NTK_OK)
        status = NTK_CALLOC(column, ld, "a Ritz vector");
    if (status == NTK_OK)
        status = NTK_CALLOC(estimates, ncv, "Ritz estimates");
    NTK_TRY_GOTO(status, ntk_agree(status, op->comm), done);
    MPI_Comm parpack_comm = MPI_COMM_NULL;
    NTK_TRY_GOTO(status, parpack_communicator(op, &parpack_comm), done);
    status = lanczos(op, parpack_comm, &setup, values, z, estimates, &found, &restarts);
    if (parpack_comm != MPI_COMM_NULL)
        MPI_Comm_free(&parpack_comm);
    NTK_TRY_GOTO(status, status, done);
    sort_descending(values, z, estimates, ld, found, column);

    spectrum->matrix_free = 1;
    spectrum->solver = "matrix_free (PARPACK pdsaupd/pdseupd, Lanczos)";
    spectrum->features = op->stored ? "stored" : "recompute";
    spectrum->n_pairs = found;
    spectrum->basis_size = ncv;
    spectrum->tolerance = spec->tolerance;
    spectrum->restarts = restarts;
    /* Lanczos computes the Ritz vectors whatever is asked, and the pair
     * check below needs them; a values-only request keeps none */
    spectrum->have_vectors = spec->vectors;
    spectrum->computed_values = spectrum->computed_vectors = found;
    /* Lanczos computes the Ritz vectors whatever is asked (docs/solvers.md) */
    ntk_log("matrix_free computes %lld eigenvalue%s and %lld eigenvector%s; keeping the top "
            "%lld eigenvalue%s%s",
            (long long)found, found == 1 ? "" : "s", (long long)found, found == 1 ? "" : "s",
            (long long)found, found == 1 ? "" : "s",
            spec->vectors ? " with their eigenvectors" : " only");
    status = NTK_CALLOC(spectrum->values, found, "eigenvalues");
    if (status == NTK_OK)
        status = NTK_CALLOC(spectrum->pair_residual, found, "pair residuals");
    NTK_TRY_GOTO(status, ntk_agree(status, op->comm), done);
    memcpy(spectrum->values, values, sizeof(double) * (size_t)found);
    double scale = 0.0;
    for (int i = 0; i < found; ++i)
        scale = fabs(values[i]) > scale ? fabs(values[i]) : scale;
    NTK_TRY_GOTO(status, check_pairs(spec, op, z, ld, estimates, matrix_size, scale, spectrum),
                 done);
    spectrum->max_relative_residual = 0.0;
    for (int i = 0; i < found; ++i) {
        if (spectrum->pair_residual[i] <= spec->tolerance)
            ++spectrum->converged;
        if (!(spectrum->pair_residual[i] <= spectrum->max_relative_residual))
            spectrum->max_relative_residual = spectrum->pair_residual[i];
    }
    NTK_TRY_GOTO(status, mf_operator_trace(op, &spectrum->diagonal_sum), done);
    spectrum->products = op->products;
    if (spectrum->converged < spec->top && !spec->allow_unconverged) {
        status = NTK_RAISE(NTK_ERR_NUMERIC,
                           "spectrum.solver matrix_free: %lld of %lld eigenpairs converged to "
                           "spectrum.tolerance %.3g (largest residual %.3g, %lld restarts, %lld "
                           "products); set spectrum.allow_unconverged: true to keep them",
                           (long long)spectrum->converged, (long long)spec->top, spec->tolerance,
                           spectrum->max_relative_residual, (long long)restarts,
                           (long long)op->products);
        goto done;
    }
    if (spec->vectors)
        NTK_TRY_GOTO(status, mf_vectors_to_dmatrix(grid, op, z, ld, found, &spectrum->vectors),
                     done);
done:
    free(values);
    free(z);
    free(column);
    free(estimates);
    return status;
#endif
}
