/* Rank 0's single-node eigensolver (src/spectrum/node/node_eigen.h) against
 * LAPACK's own drivers, without MPI.
 *
 * Bulge chasing: the tridiagonal matrix of bulge_chase_band on 2-4 threads
 * must equal the one on 1 thread bit for bit (the same kernel calls on the
 * same data in each sweep: a broken dependency between sweeps shows as a
 * difference), and LAPACK's serial dsytrd_sb2st to 1e-14 of the band's
 * largest entry (OpenBLAS's kernels round by the alignment of LAPACK's
 * workspace, in the last bit; on netlib's BLAS they agree bit for bit), on
 * bands of half-width 1 to 64 and sizes 1 to 300, including a band as
 * wide as the matrix.
 * Back-transformation: Q Z with blocks of 1 to 256 reflectors against
 * dormtr, for 1, 3 and M columns, the M columns split over 1-3 threads.
 * Tridiagonal divide and conquer split over two threads: eigenvalues and
 * eigenvectors against dstedc, on random matrices, one with an exact zero
 * at the split, and one with many equal eigenvalues (heavy deflation).
 * The solvers (values only by both reductions, and the rule choosing between
 * them; all pairs; the lowest k): eigenvalues against dsyevd to 1e-12 of the largest,
 * eigenvector residuals and orthogonality to 1e-12, on random symmetric
 * matrices and on matrices scaled by 1e-300 and 1e+300 (dsyevd's scaling). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/lapack.h"
#include "spectrum/node/node_eigen.h"
#include "check.h"

static unsigned long long state = 88172645463325252ULL;
static double uniform(void) /* xorshift64, in [-1, 1) */
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (double)(state >> 11) / 4503599627370496.0 - 1.0;
}

static double *random_symmetric(int n, double scale)
{
    double *a = malloc(sizeof *a * (size_t)(n > 0 ? n * n : 1));
    for (int j = 0; j < n; j++)
        for (int i = j; i < n; i++)
            a[i + (size_t)j * n] = a[j + (size_t)i * n] = scale * uniform();
    return a;
}

/* The tridiagonal matrix of a random band on `threads` threads (d, e: n
 * entries each, e's last unused); LAPACK's dsytrd_sb2st's when `threads` is
 * 0. Returns the largest entry of the band. */
static double chase_random_band(int n, int kd, int threads, unsigned long long seed, double *d,
                                double *e)
{
    state = seed;
    const int ldband = threads > 0 ? 2 * kd + 1 : kd + 1;
    double *band = calloc((size_t)ldband * n, sizeof *band), largest = 0.0;
    for (int j = 0; j < n; j++)
        for (int i = 0; i <= kd && i + j < n; i++) {
            band[i + (size_t)j * ldband] = uniform();
            largest = fmax(largest, fabs(band[i + (size_t)j * ldband]));
        }
    if (threads > 0) {
        CHECK(bulge_chase_band(n, kd, band, ldband, d, e, threads) == NTK_OK,
              "bulge_chase_band(n %d, kd %d, %d threads) failed", n, kd, threads);
    } else {
        const int query = -1;
        double hous_query = 0.0, work_query = 0.0;
        int info = 0;
        dsytrd_sb2st_("N", "N", "L", &n, &kd, band, &ldband, d, e, &hous_query, &query,
                      &work_query, &query, &info, 1, 1, 1);
        const int lhous = (int)hous_query + 1, lwork = (int)work_query + 1;
        double *hous = calloc((size_t)lhous, sizeof *hous);
        double *work = calloc((size_t)lwork, sizeof *work);
        dsytrd_sb2st_("N", "N", "L", &n, &kd, band, &ldband, d, e, hous, &lhous, work, &lwork,
                      &info, 1, 1, 1);
        CHECK(info == 0, "dsytrd_sb2st info %d", info);
        free(hous);
        free(work);
    }
    free(band);
    return largest;
}

static void test_bulge_chase(int n, int kd)
{
    const unsigned long long seed = 0x9e3779b97f4a7c15ULL * (unsigned)(n * 131 + kd);
    double *d_one = calloc((size_t)n, sizeof(double)), *e_one = calloc((size_t)n, sizeof(double));
    double *d = calloc((size_t)n, sizeof(double)), *e = calloc((size_t)n, sizeof(double));
    const double largest = chase_random_band(n, kd, 1, seed, d_one, e_one);
    for (int threads = 2; threads <= 4; threads++) {
        chase_random_band(n, kd, threads, seed, d, e);
        int same = 1;
        for (int i = 0; i < n; i++)
            same &= d[i] == d_one[i] && (i + 1 >= n || e[i] == e_one[i]);
        CHECK(same, "bulge chasing n %d kd %d: %d threads differ from 1", n, kd, threads);
    }
    chase_random_band(n, kd, 0, seed, d, e);
    double gap = 0.0;
    for (int i = 0; i < n; i++)
        gap = fmax(gap, fmax(fabs(d[i] - d_one[i]), i + 1 < n ? fabs(fabs(e[i]) - fabs(e_one[i]))
                                                                : 0.0));
    CHECK(gap <= 1e-14 * largest * (n > 1 ? n : 1),
          "bulge chasing n %d kd %d differs from dsytrd_sb2st by %.3g", n, kd, gap);
    free(d_one);
    free(e_one);
    free(d);
    free(e);
}

static void test_back_transform(int n, int cols, int block, int threads)
{
    double *a = random_symmetric(n, 1.0);
    double *d = calloc((size_t)n, sizeof *d), *e = calloc((size_t)n, sizeof *e);
    double *tau = calloc((size_t)n, sizeof *tau);
    int info = 0, lwork = 64 * (n + cols + 1);
    double *work = calloc((size_t)lwork, sizeof *work);
    dsytrd_("L", &n, a, &n, d, e, tau, work, &lwork, &info, 1);
    double *z = malloc(sizeof *z * (size_t)n * cols), *z_ref = malloc(sizeof *z * (size_t)n * cols);
    for (size_t i = 0; i < (size_t)n * cols; i++)
        z[i] = z_ref[i] = uniform();
    dormtr_("L", "L", "N", &n, &cols, a, &n, tau, z_ref, &n, work, &lwork, &info, 1, 1, 1);
    CHECK(info == 0, "dormtr info %d", info);
    ntk_status status = back_transform_apply(n, cols, a, n, tau, z, n, block, threads);
    CHECK(status == NTK_OK, "back_transform_apply failed");
    double worst = 0.0;
    for (size_t i = 0; i < (size_t)n * cols; i++)
        worst = fmax(worst, fabs(z[i] - z_ref[i]));
    CHECK(worst <= 1e-13 * (n > 1 ? n : 1),
          "back-transformation n %d cols %d block %d threads %d: %.3g", n, cols, block, threads,
          worst);
    free(a);
    free(d);
    free(e);
    free(tau);
    free(work);
    free(z);
    free(z_ref);
}

/* kind 0: random; 1: random with e[n/2 - 1] = 0; 2: d = 1, e tiny (clustered) */
static void test_tridiagonal(int n, int kind)
{
    double *d = malloc(sizeof *d * (size_t)n), *e = calloc((size_t)n, sizeof *e);
    for (int i = 0; i < n; i++) {
        d[i] = kind == 2 ? 1.0 + 1e-14 * uniform() : uniform();
        e[i] = kind == 2 ? 1e-13 * uniform() : uniform();
    }
    if (kind == 1)
        e[n / 2 - 1] = 0.0;
    double *d_ref = malloc(sizeof *d * (size_t)n), *e_ref = malloc(sizeof *e * (size_t)n);
    memcpy(d_ref, d, sizeof *d * (size_t)n);
    memcpy(e_ref, e, sizeof *e * (size_t)n);
    const double *d_in = d_ref, *e_in = e_ref;
    double *d_orig = malloc(sizeof *d * (size_t)n), *e_orig = malloc(sizeof *e * (size_t)n);
    memcpy(d_orig, d_in, sizeof *d * (size_t)n);
    memcpy(e_orig, e_in, sizeof *e * (size_t)n);
    const int lwork = 1 + 4 * n + n * n, liwork = 3 + 5 * n;
    double *work = malloc(sizeof *work * (size_t)lwork);
    double *z = malloc(sizeof *z * (size_t)n * n), *z_ref = malloc(sizeof *z * (size_t)n * n);
    int *iwork = malloc(sizeof *iwork * (size_t)liwork), info = 0;
    dstedc_("I", &n, d_ref, e_ref, z_ref, &n, work, &lwork, iwork, &liwork, &info, 1);
    CHECK(info == 0, "dstedc info %d", info);
    CHECK(tridiagonal_eigen(n, d, e, z, work, 2) == NTK_OK, "tridiagonal_eigen n %d", n);
    double worst = 0.0, residual = 0.0, norm = fmax(fabs(d_ref[0]), fabs(d_ref[n - 1]));
    for (int i = 0; i < n; i++)
        worst = fmax(worst, fabs(d[i] - d_ref[i]) / norm);
    for (int p = 0; p < n; p++) { /* ||T z - lambda z|| */
        const double *x = z + (size_t)p * n;
        double sum = 0.0;
        for (int i = 0; i < n; i++) {
            double row = (d_orig[i] - d[p]) * x[i];
            if (i > 0)
                row += e_orig[i - 1] * x[i - 1];
            if (i + 1 < n)
                row += e_orig[i] * x[i + 1];
            sum += row * row;
        }
        residual = fmax(residual, sqrt(sum) / norm);
    }
    CHECK(worst <= 1e-13, "split divide and conquer n %d kind %d: eigenvalues off by %.3g", n,
          kind, worst);
    CHECK(residual <= 1e-12, "split divide and conquer n %d kind %d: residual %.3g", n, kind,
          residual);
    double orthogonality = 0.0;
    for (int p = 0; p < n; p += 7)
        for (int q = 0; q <= p; q += 5) {
            double dot = 0.0;
            for (int i = 0; i < n; i++)
                dot += z[i + (size_t)p * n] * z[i + (size_t)q * n];
            orthogonality = fmax(orthogonality, fabs(dot - (p == q)));
        }
    CHECK(orthogonality <= 1e-12, "split divide and conquer n %d kind %d: orthogonality %.3g", n,
          kind, orthogonality);
    free(d);
    free(e);
    free(d_ref);
    free(e_ref);
    free(d_orig);
    free(e_orig);
    free(work);
    free(z);
    free(z_ref);
    free(iwork);
}

static void reference_values(int n, const double *a, double *w)
{
    double *copy = malloc(sizeof *copy * (size_t)n * n);
    memcpy(copy, a, sizeof *copy * (size_t)n * n);
    int lwork = 1 + 6 * n + 2 * n * n, liwork = 3 + 5 * n, info = 0;
    double *work = malloc(sizeof *work * (size_t)lwork);
    int *iwork = malloc(sizeof *iwork * (size_t)liwork);
    dsyevd_("N", "L", &n, copy, &n, w, work, &lwork, iwork, &liwork, &info, 1, 1);
    CHECK(info == 0, "dsyevd info %d", info);
    free(copy);
    free(work);
    free(iwork);
}

/* ||A v - lambda v|| and |v_i^T v_j - delta_ij|, the worst over the pairs,
 * relative to the largest |lambda|. */
static void check_pairs(const char *what, int n, int pairs, const double *a, const double *w,
                        const double *v, double norm)
{
    double residual = 0.0, orthogonality = 0.0;
    for (int p = 0; p < pairs; p++) {
        const double *x = v + (size_t)p * n;
        double sum = 0.0;
        for (int i = 0; i < n; i++) {
            double row = -w[p] * x[i];
            for (int j = 0; j < n; j++)
                row += a[i + (size_t)j * n] * x[j];
            sum += row * row;
        }
        residual = fmax(residual, sqrt(sum) / norm);
        for (int q = 0; q <= p; q++) {
            double dot = 0.0;
            for (int i = 0; i < n; i++)
                dot += x[i] * v[i + (size_t)q * n];
            orthogonality = fmax(orthogonality, fabs(dot - (p == q)));
        }
    }
    CHECK(residual <= 1e-12, "%s n %d: residual %.3g", what, n, residual);
    CHECK(orthogonality <= 1e-12 * (n > 10 ? n / 10 : 1), "%s n %d: orthogonality %.3g", what, n,
          orthogonality);
}

static void test_solvers(int n, int threads, double scale)
{
    double *a = random_symmetric(n, scale);
    double *reference = calloc((size_t)n, sizeof *reference);
    reference_values(n, a, reference);
    const double norm = fmax(fabs(reference[0]), fabs(reference[n - 1]));
    double *work = malloc(sizeof *work * (size_t)n * n), *w = calloc((size_t)n, sizeof *w);

    double worst = 0.0;
    for (int two_stage = 0; two_stage <= 1; two_stage++) {
        memcpy(work, a, sizeof *work * (size_t)n * n);
        CHECK(node_eigen_values(n, work, w, threads, two_stage) == NTK_OK,
              "node_eigen_values n %d", n);
        worst = 0.0;
        for (int i = 0; i < n; i++)
            worst = fmax(worst, fabs(w[i] - reference[i]) / norm);
        CHECK(worst <= 1e-12, "values (%s) n %d threads %d scale %g: %.3g",
              two_stage ? "two-stage" : "one-stage", n, threads, scale, worst);
    }

    double *vectors = NULL;
    memcpy(work, a, sizeof *work * (size_t)n * n);
    CHECK(node_eigen_all(n, work, w, &vectors, threads) == NTK_OK, "node_eigen_all n %d", n);
    worst = 0.0;
    for (int i = 0; i < n; i++)
        worst = fmax(worst, fabs(w[i] - reference[i]) / norm);
    CHECK(worst <= 1e-12, "all pairs n %d scale %g: %.3g", n, scale, worst);
    if (vectors != NULL && scale == 1.0)
        check_pairs("all pairs", n, n, a, w, vectors, norm);
    free(vectors);

    const int pairs = n > 3 ? 3 : n;
    memcpy(work, a, sizeof *work * (size_t)n * n);
    CHECK(node_eigen_lowest(n, pairs, work, w, &vectors) == NTK_OK, "node_eigen_lowest n %d", n);
    worst = 0.0;
    for (int i = 0; i < pairs; i++)
        worst = fmax(worst, fabs(w[i] - reference[i]) / norm);
    CHECK(worst <= 1e-12, "lowest n %d: %.3g", n, worst);
    if (vectors != NULL && scale == 1.0)
        check_pairs("lowest", n, pairs, a, w, vectors, norm);
    free(vectors);
    free(a);
    free(reference);
    free(work);
    free(w);
}

int main(void)
{
    const int chases[][2] = {{1, 1}, {2, 1}, {3, 2}, {7, 3},  {20, 19}, {50, 8},
                             {65, 64}, {129, 64}, {200, 16}, {300, 64}, {300, 2}};
    for (size_t c = 0; c < sizeof chases / sizeof chases[0]; c++)
        test_bulge_chase(chases[c][0], chases[c][1]);

    const int sizes[] = {1, 2, 5, 37, 300, 700};
    const int blocks[] = {1, 7, 32, 256};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
            for (int threads = 1; threads <= 3; threads++)
                test_back_transform(sizes[s], sizes[s], blocks[b], threads);
            test_back_transform(sizes[s], 1, blocks[b], 2);
            test_back_transform(sizes[s], 3, blocks[b], 2);
        }

    const int tridiagonal_sizes[] = {512, 513, 1000};
    for (size_t s = 0; s < sizeof tridiagonal_sizes / sizeof tridiagonal_sizes[0]; s++)
        for (int kind = 0; kind < 3; kind++)
            test_tridiagonal(tridiagonal_sizes[s], kind);

    const int solver_sizes[] = {1, 2, 3, 10, 65, 66, 200, 400, 600};
    for (size_t s = 0; s < sizeof solver_sizes / sizeof solver_sizes[0]; s++)
        for (int threads = 1; threads <= 3; threads++)
            test_solvers(solver_sizes[s], threads, 1.0);
    CHECK(!node_values_two_stage("sse") && node_values_two_stage("avx2") &&
              node_values_two_stage("avx512") && node_values_two_stage("unknown"),
          "the values rule: one stage only on SSE kernels");
    double poisoned[4] = {1.0, INFINITY, 0.0, 2.0}, w2[2], *unused = NULL;
    CHECK(node_eigen_values(2, poisoned, w2, 1, 1) == NTK_ERR_NUMERIC,
          "an infinite entry is an error (values)");
    poisoned[1] = NAN;
    CHECK(node_eigen_all(2, poisoned, w2, &unused, 1) == NTK_ERR_NUMERIC && unused == NULL,
          "a NaN entry is an error (all pairs)");
    test_solvers(150, 2, 1e-300);
    test_solvers(150, 2, 1e300);

    printf("node_eigen: %d checks, %d failures\n", checks, failures);
    return failures != 0;
}
