/* PARPACK's implicitly restarted Lanczos (pdsaupd / pdseupd) on the
 * matrix-free product: the largest algebraic eigenvalues ('LA') of Theta,
 * with the distributed vectors of PARPACK being each rank's own rows.
 *
 * PARPACK ships no C header; the prototypes below follow its Fortran
 * interface (gfortran passes string lengths as trailing size_t arguments,
 * LOGICAL is a 4-byte int). Its starting vector is ours (info = 1): a
 * counter-RNG value per global row, so the Krylov space - and the
 * eigenvalues to rounding - do not depend on the number of ranks. */
#include "spectrum/matrix_free.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/random.h"
#include "grid/scalapack.h"

#ifdef NTK_HAVE_PARPACK
void pdsaupd_(const MPI_Fint *comm, int *ido, const char *bmat, const int *n, const char *which,
              const int *nev, const double *tol, double *resid, const int *ncv, double *v,
              const int *ldv, int *iparam, int *ipntr, double *workd, double *workl,
              const int *lworkl, int *info, size_t bmat_length, size_t which_length);
void pdseupd_(const MPI_Fint *comm, const int *rvec, const char *howmny, int *select, double *d,
              double *z, const int *ldz, const double *sigma, const char *bmat, const int *n,
              const char *which, const int *nev, const double *tol, double *resid,
              const int *ncv, double *v, const int *ldv, int *iparam, int *ipntr, double *workd,
              double *workl, const int *lworkl, int *info, size_t howmny_length,
              size_t bmat_length, size_t which_length);
#endif

/* Streams of the counter RNG used here (keep them distinct from the data's
 * and the model's, see core/random.h). */
enum { START_VECTOR_SEED = 20261130, START_VECTOR_STREAM = 0x6d66 };

int64_t mf_basis_size(int64_t top, int64_t matrix_size)
{
    /* ARPACK's advice is ncv >= 2 nev; a few more vectors for small nev
     * make restarts cheaper relative to their progress. */
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

/* ||Theta z_i - lambda_i z_i|| / scale for every pair, by explicit products
 * in blocks of op->max_vectors columns. Collective. */
static ntk_status verify_pairs(mf_operator *op, const double *z, int64_t ld, const double *values,
                               int64_t pairs, double scale, double *residual)
{
    double *y = NULL, *local = NULL;
    ntk_status status = NTK_CALLOC(y, ld * op->max_vectors, "residual check products");
    if (status == NTK_OK)
        status = NTK_CALLOC(local, pairs, "residual check sums");
    NTK_TRY_GOTO(status, ntk_agree(status, op->comm), done);
    for (int64_t first = 0; first < pairs; first += op->max_vectors) {
        const int64_t columns =
            pairs - first < op->max_vectors ? pairs - first : op->max_vectors;
        NTK_TRY_GOTO(status, mf_operator_apply(op, z + first * ld, columns, ld, y), done);
        for (int64_t j = 0; j < columns; ++j) {
            double sum = 0.0;
            for (int64_t r = 0; r < op->rows; ++r) {
                const double d = y[j * ld + r] - values[first + j] * z[(first + j) * ld + r];
                sum += d * d;
            }
            local[first + j] = sum;
        }
    }
    NTK_MPI_GOTO(status, MPI_Allreduce(local, residual, (int)pairs, MPI_DOUBLE, MPI_SUM,
                                       op->comm), done);
    for (int64_t i = 0; i < pairs; ++i)
        residual[i] = sqrt(residual[i]) / (scale > 0.0 ? scale : 1.0);
done:
    free(y);
    free(local);
    return status;
}

#ifdef NTK_HAVE_PARPACK
/* Reverse communication until PARPACK has the Ritz pairs; then the pairs,
 * in PARPACK's ascending order, into `values` and `z` (rows x pairs). */
static ntk_status lanczos(mf_operator *op, int nev, int ncv, double tolerance, double *values,
                          double *z, int *found, int64_t *restarts)
{
    const MPI_Fint comm = MPI_Comm_c2f(op->comm);
    const int n = (int)op->rows, ldv = n > 0 ? n : 1;
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
        pdsaupd_(&comm, &ido, "I", &n, "LA", &nev, &tolerance, resid, &ncv, v, &ldv, iparam,
                 ipntr, workd, workl, &lworkl, &info, 1, 2);
        if (ido != -1 && ido != 1)
            break;
        /* y = Theta x: x at workd[ipntr[0] - 1], y at workd[ipntr[1] - 1] */
        NTK_TRY_GOTO(status, mf_operator_apply(op, workd + ipntr[0] - 1, 1, ldv,
                                               workd + ipntr[1] - 1), done);
    }
    *restarts = iparam[2];
    /* Maximum restarts (info 1) still leaves iparam[4] converged pairs,
     * which pdseupd returns; the explicit check decides what they are worth. */
    if (info != 1)
        NTK_TRY_GOTO(status, ntk_agree(check_parpack("pdsaupd", info), op->comm), done);
    if (iparam[4] < 1) {
        status = NTK_RAISE(NTK_ERR_NUMERIC,
                           "spectrum.solver matrix_free: no eigenpair converged in %d restarts "
                           "(%lld products)",
                           iparam[2], (long long)op->products);
        goto done;
    }
    const int rvec = 1;
    const double sigma = 0.0;
    int ldz = ldv;
    pdseupd_(&comm, &rvec, "A", select, values, z, &ldz, &sigma, "I", &n, "LA", &nev, &tolerance,
             resid, &ncv, v, &ldv, iparam, ipntr, workd, workl, &lworkl, &info, 1, 1, 2);
    NTK_TRY_GOTO(status, ntk_agree(check_parpack("pdseupd", info), op->comm), done);
    *found = iparam[4];
done:
    free(resid);
    free(v);
    free(workd);
    free(workl);
    free(select);
    return status;
}
#endif

/* Descending order, eigenvector columns following their values. */
static void sort_descending(double *values, double *z, int64_t ld, int64_t pairs, double *column)
{
    for (int64_t i = 1; i < pairs; ++i)
        for (int64_t j = i; j > 0 && values[j] > values[j - 1]; --j) {
            const double t = values[j];
            values[j] = values[j - 1];
            values[j - 1] = t;
            memcpy(column, z + j * ld, sizeof(double) * (size_t)ld);
            memcpy(z + j * ld, z + (j - 1) * ld, sizeof(double) * (size_t)ld);
            memcpy(z + (j - 1) * ld, column, sizeof(double) * (size_t)ld);
        }
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
    (void)verify_pairs;
    return NTK_RAISE(NTK_ERR_JOB,
                     "spectrum.solver matrix_free needs PARPACK, and this ntkgram was built "
                     "without it (install libparpack2-dev and rebuild)");
#else
    int64_t matrix_size = 0;
    NTK_MPI(MPI_Allreduce(&op->rows, &matrix_size, 1, MPI_INT64_T, MPI_SUM, op->comm));
    const int nev = (int)spec->top;
    const int ncv = (int)mf_basis_size(spec->top, matrix_size);
    const int64_t ld = op->rows > 0 ? op->rows : 1;
    double *values = NULL, *z = NULL, *column = NULL;
    int found = 0;
    int64_t restarts = 0;
    ntk_status status = NTK_CALLOC(values, ncv, "Ritz values");
    if (status == NTK_OK)
        status = NTK_CALLOC(z, ld * (ncv + 1), "Ritz vectors");
    if (status == NTK_OK)
        status = NTK_CALLOC(column, ld, "a Ritz vector");
    NTK_TRY_GOTO(status, ntk_agree(status, op->comm), done);
    NTK_TRY_GOTO(status, lanczos(op, nev, ncv, spec->tolerance, values, z, &found, &restarts),
                 done);
    sort_descending(values, z, ld, found, column);

    spectrum->matrix_free = 1;
    spectrum->solver = "matrix_free (PARPACK pdsaupd/pdseupd, Lanczos)";
    spectrum->features = op->stored ? "stored" : "recompute";
    spectrum->n_pairs = found;
    spectrum->basis_size = ncv;
    spectrum->tolerance = spec->tolerance;
    spectrum->restarts = restarts;
    spectrum->have_vectors = 1;
    status = NTK_CALLOC(spectrum->values, found, "eigenvalues");
    if (status == NTK_OK)
        status = NTK_CALLOC(spectrum->pair_residual, found, "pair residuals");
    NTK_TRY_GOTO(status, ntk_agree(status, op->comm), done);
    memcpy(spectrum->values, values, sizeof(double) * (size_t)found);
    double scale = 0.0;
    for (int i = 0; i < found; ++i)
        scale = fabs(values[i]) > scale ? fabs(values[i]) : scale;
    NTK_TRY_GOTO(status, verify_pairs(op, z, ld, values, found, scale, spectrum->pair_residual),
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
    NTK_TRY_GOTO(status, mf_vectors_to_dmatrix(grid, op, z, ld, found, &spectrum->vectors), done);
done:
    free(values);
    free(z);
    free(column);
    return status;
#endif
}
