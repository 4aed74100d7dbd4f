/* Rank 0's eigensolver on the single-node path (node_eigen.h; the choices
 * and their measurements: docs/design.md, "The single-node eigensolver").
 *
 * numpy's eigh and eigvalsh call dsyevd: dsytrd (one-stage reduction, half
 * of it matrix-vector products bound by memory bandwidth), then dsterf or
 * dstedc, then dormtr. The same building blocks arranged differently:
 *   values only  the two-stage reduction, whose first stage is matrix
 *                products and whose second (bulge chasing) runs here on
 *                every thread (LAPACK's own runs on one); on SSE BLAS
 *                kernels, whose matrix products are slow, dsyevd's own
 *                dsytrd and dsterf;
 *   all pairs    dsytrd as dsyevd, divide and conquer as dstedc but its
 *                two halves at once, then a back-transformation whose
 *                products are 256 reflectors wide, not 32.
 * Both scale the matrix into the safe range first, as dsyevd does. */
#include "spectrum/node/node_eigen.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/memory.h"
#include "grid/scalapack.h"
#include "spectrum/scaling.h"

/* Reflectors per block of the back-transformation (back_transform.c). */
enum { BACK_TRANSFORM_BLOCK = 256 };
/* Half-width of the band of the two-stage reduction: 32 and 64 measured
 * alike for both stages (docs/design.md, "The single-node eigensolver"), and
 * 64 gives the first stage, the matrix products, more room. */
enum { BAND_WIDTH = 64 };

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

static ntk_status check_sizes(int64_t n)
{
    if (n > INT_MAX)
        return NTK_RAISE(NTK_ERR_MEMORY, "M = %lld is more than LAPACK's 32-bit sizes allow",
                         (long long)n);
    return NTK_OK;
}

/* dsyevd's scaling (spectrum/scaling.h, the rule every solver's matrix
 * goes through): returns the factor applied (1 when none); the
 * eigenvalues are divided by it afterwards. */
static ntk_status scale_into_range(int n, double *a, double *factor)
{
    double low = 0.0, high = 0.0, unused = 0.0;
    spectrum_safe_range(&low, &high);
    const double largest = dlansy_("M", "L", &n, a, &n, &unused, 1, 1);
    if (!isfinite(largest))
        return NTK_RAISE(NTK_ERR_NUMERIC, "the matrix to solve has a non-finite entry");
    *factor = spectrum_scale_factor(largest, low, high);
    if (*factor != 1.0) {
        const int zero = 0;
        const double one = 1.0;
        int info = 0;
        dlascl_("L", &zero, &zero, &one, factor, &n, &n, a, &n, &info, 1);
        NTK_TRY(grid_check_scalapack("dlascl", info));
    }
    return NTK_OK;
}

/* What both full paths do first: the size check and dsyevd's scaling. */
static ntk_status begin_full_solve(int64_t n64, double *a, double *factor)
{
    *factor = 1.0;
    NTK_TRY(check_sizes(n64));
    return n64 < 1 ? NTK_OK : scale_into_range((int)n64, a, factor);
}

static void unscale(int64_t count, double factor, double *w)
{
    if (factor != 1.0)
        for (int64_t i = 0; i < count; i++)
            w[i] /= factor;
}

int node_values_two_stage(const char *kernels_simd)
{
    return kernels_simd == NULL || strcmp(kernels_simd, "sse") != 0;
}

/* dsytrd's arrays (the off-diagonal and the reflector factors, M each)
 * and its workspace size, for both one-stage paths. */
static ntk_status dsytrd_prepare(int n, double *a, double *w, double **e, double **tau,
                                 double *work_query)
{
    const int query = -1;
    int info = 0;
    *work_query = 0.0;
    NTK_TRY(NTK_CALLOC(*e, (size_t)n, "tridiagonal off-diagonal"));
    NTK_TRY(NTK_CALLOC(*tau, (size_t)n, "reflector factors"));
    dsytrd_("L", &n, a, &n, w, *e, *tau, work_query, &query, &info, 1);
    return grid_check_scalapack("dsytrd (workspace query)", info);
}

/* dsyevd 'N''s algorithm on the scaled matrix: dsytrd, dsterf. */
static ntk_status one_stage_values(int n, double *a, double *w)
{
    double *e = NULL, *tau = NULL, *work = NULL, work_query = 0.0;
    int info = 0;
    ntk_status status = dsytrd_prepare(n, a, w, &e, &tau, &work_query);
    const int lwork = (int)max64((int64_t)work_query, 1);
    if (status == NTK_OK)
        status = NTK_ALLOC_UNZEROED(work, lwork, "dsytrd workspace");
    if (status == NTK_OK) {
        dsytrd_("L", &n, a, &n, w, e, tau, work, &lwork, &info, 1);
        status = grid_check_scalapack("dsytrd", info);
    }
    if (status == NTK_OK) {
        dsterf_(&n, w, e, &info);
        status = grid_check_scalapack("dsterf", info);
    }
    free(work);
    free(tau);
    free(e);
    return status;
}

ntk_status node_eigen_values(int64_t n64, double *a, double *w, int threads, int two_stage)
{
    double factor = 1.0;
    NTK_TRY(begin_full_solve(n64, a, &factor));
    if (n64 < 1)
        return NTK_OK;
    const int n = (int)n64;
    if (!two_stage) {
        NTK_TRY(one_stage_values(n, a, w));
        unscale(n, factor, w);
        return NTK_OK;
    }
    const int kd = n - 1 < BAND_WIDTH ? (n > 1 ? n - 1 : 1) : BAND_WIDTH;
    const int ldband = 2 * kd + 1, query = -1;
    double *band = NULL, *tau = NULL, *work = NULL, *e = NULL, work_query = 0.0;
    int info = 0;
    ntk_status status = NTK_CALLOC(band, (size_t)ldband * (size_t)n, "band of the reduction");
    if (status == NTK_OK)
        status = NTK_CALLOC(tau, (size_t)n, "first-stage reflector factors");
    if (status == NTK_OK)
        status = NTK_CALLOC(e, (size_t)n, "tridiagonal off-diagonal");
    if (status == NTK_OK) {
        dsytrd_sy2sb_("L", &n, &kd, a, &n, band, &ldband, tau, &work_query, &query, &info, 1);
        status = grid_check_scalapack("dsytrd_sy2sb (workspace query)", info);
    }
    if (status == NTK_OK)
        status = NTK_ALLOC_UNZEROED(work, max64((int64_t)work_query, 1), "dsytrd_sy2sb workspace");
    if (status == NTK_OK) {
        const int lwork = (int)max64((int64_t)work_query, 1);
        dsytrd_sy2sb_("L", &n, &kd, a, &n, band, &ldband, tau, work, &lwork, &info, 1);
        status = grid_check_scalapack("dsytrd_sy2sb", info);
    }
    free(work);
    free(tau);
    if (status == NTK_OK)
        status = bulge_chase_band(n, kd, band, ldband, w, e, threads);
    if (status == NTK_OK) {
        dsterf_(&n, w, e, &info);
        status = grid_check_scalapack("dsterf", info);
    }
    if (status == NTK_OK)
        unscale(n, factor, w);
    free(e);
    free(band);
    return status;
}

ntk_status node_eigen_all(int64_t n64, double *a, double *w, double **vectors, int threads)
{
    *vectors = NULL;
    double factor = 1.0;
    NTK_TRY(begin_full_solve(n64, a, &factor));
    if (n64 < 1)
        return NTK_OK;
    const int n = (int)n64;
    double *e = NULL, *tau = NULL, *work = NULL, *z = NULL, work_query = 0.0;
    int info = 0;
    ntk_status status = dsytrd_prepare(n, a, w, &e, &tau, &work_query);
    /* dstedc 'I': 1 + 4M + M^2 and 3 + 5M (LAPACK's documented minima),
     * and dsytrd's own before it in the same block */
    const int64_t lwork = max64(1 + 4 * n64 + n64 * n64, (int64_t)work_query);
    if (status == NTK_OK && lwork > INT_MAX)
        status = NTK_RAISE(NTK_ERR_MEMORY,
                           "dstedc needs a workspace of %lld doubles, more than LAPACK's 32-bit "
                           "sizes allow (M = %lld); use spectrum.solver: pdsyevd or elpa1",
                           (long long)lwork, (long long)n64);
    if (status == NTK_OK)
        status = NTK_ALLOC_SMALL_PAGES(work, lwork, "dsytrd and dstedc workspace");
    if (status == NTK_OK) {
        const int lwork_int = (int)lwork;
        dsytrd_("L", &n, a, &n, w, e, tau, work, &lwork_int, &info, 1);
        status = grid_check_scalapack("dsytrd", info);
    }
    /* dstedc writes every entry of z; both on normal pages (core/memory.h) */
    if (status == NTK_OK)
        status = NTK_ALLOC_SMALL_PAGES(z, (size_t)n * (size_t)n, "eigenvectors on rank 0");
    if (status == NTK_OK)
        status = tridiagonal_eigen(n, w, e, z, work, threads);
    free(work);
    if (status == NTK_OK)
        status = back_transform_apply(n, n, a, n, tau, z, n, BACK_TRANSFORM_BLOCK, threads);
    if (status == NTK_OK) {
        unscale(n, factor, w);
        *vectors = z;
    } else {
        free(z);
    }
    free(tau);
    free(e);
    return status;
}

ntk_status node_eigen_lowest(int64_t n64, int64_t pairs, double *a, double *w, double **vectors)
{
    *vectors = NULL;
    NTK_TRY(check_sizes(n64));
    const int n = (int)n64, lda = n > 1 ? n : 1, query = -1, il = 1, iu = (int)pairs;
    const double zero = 0.0;
    int info = 0, iwork_query = 0, found = 0;
    double work_query = 0.0, *work = NULL, *z = NULL;
    int *iwork = NULL, *isuppz = NULL;
    /* dsyevr writes every entry of its M x k eigenvectors. */
    ntk_status status = NTK_ALLOC_UNZEROED(z, (size_t)lda * (size_t)pairs, "eigenvectors on rank 0");
    if (status == NTK_OK)
        status = NTK_CALLOC(isuppz, 2 * pairs, "dsyevr support");
    if (status == NTK_OK) {
        dsyevr_("V", "I", "L", &n, a, &lda, &zero, &zero, &il, &iu, &zero, &found, w, z, &lda,
                isuppz, &work_query, &query, &iwork_query, &query, &info, 1, 1, 1);
        status = grid_check_scalapack("dsyevr (workspace query)", info);
    }
    const int64_t lwork = max64((int64_t)work_query, 26 * n64);
    const int64_t liwork = max64(iwork_query, 10 * n64);
    if (status == NTK_OK)
        status = NTK_CALLOC(work, lwork, "dsyevr workspace");
    if (status == NTK_OK)
        status = NTK_CALLOC(iwork, liwork, "dsyevr integer workspace");
    if (status == NTK_OK) {
        const int lwork_int = (int)lwork, liwork_int = (int)liwork;
        dsyevr_("V", "I", "L", &n, a, &lda, &zero, &zero, &il, &iu, &zero, &found, w, z, &lda,
                isuppz, work, &lwork_int, iwork, &liwork_int, &info, 1, 1, 1);
        status = grid_check_scalapack("dsyevr", info);
    }
    if (status == NTK_OK && found != iu)
        status = NTK_RAISE(NTK_ERR_NUMERIC, "dsyevr found %d eigenvalues, expected %d", found, iu);
    free(isuppz);
    free(iwork);
    free(work);
    if (status == NTK_OK)
        *vectors = z;
    else
        free(z);
    return status;
}
