/* The eigenpair check (spectrum/verify.c, verify_probes.c) on a matrix with
 * a known spectrum: A = Q diag(lambda) Q^T, n = 300, Q a product of three
 * Householder reflections, lambda distinct in (-3, 3). With every pair the
 * check uses the probes; it must
 *   - pass the true pairs (residual and orthogonality about 1e-15);
 *   - reject one eigenvalue among 300 off by 1e-6 ||A||, and report exactly
 *     what the argument predicts: R = -delta v_j e_j^T, so the statistic is
 *     |delta| max_k |c_kj| / ||A||;
 *   - reject one eigenvector among 300 turned by 1e-5 rad towards another;
 *   - reject a repeated eigenvector with a repeated eigenvalue (residual 0:
 *     only the orthogonality probe sees it).
 * With 10 pairs it runs the exact check, which passes them and rejects a
 * wrong one. At the extreme scales of issue 19 (A times 1e-200, 1e-300 and
 * 1e+300, where the squares of the residuals underflow to 0 or overflow)
 * both checks still pass the true pairs and reject a wrong eigenvalue, and
 * the values-only check (verify_values.c) passes the true eigenvalues and
 * rejects one among 300 off by 1e-8 ||A|| at every scale.
 * -A is given in one triangle (upper, or lower as the lapack
 * solver leaves it) with NaN in the other, which must not be read. Run on
 * 1, 2 and 4 ranks (block 32: several blocks per rank). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grid/grid.h"
#include "spectrum/spectrum.h"
#include "check.h"

enum { N = 300, BLOCK = 32 };

static void die(const char *what)
{
    fprintf(stderr, "rank %d: %s failed: %s\n", check_rank, what, ntk_error_message());
    MPI_Abort(MPI_COMM_WORLD, 1);
}

/* Q (column-major) = H1 H2 H3, H = I - 2 u u^T / (u^T u). */
static void householder_product(double *q)
{
    for (int i = 0; i < N * N; ++i)
        q[i] = 0.0;
    for (int i = 0; i < N; ++i)
        q[i + i * N] = 1.0;
    double u[N], qu[N];
    for (int h = 0; h < 3; ++h) {
        double uu = 0.0;
        for (int i = 0; i < N; ++i) {
            u[i] = sin(1.3 * (i + 1) * (h + 1)) + 0.2 * cos(0.7 * i * h);
            uu += u[i] * u[i];
        }
        for (int i = 0; i < N; ++i) {
            qu[i] = 0.0;
            for (int j = 0; j < N; ++j)
                qu[i] += q[i + j * N] * u[j];
        }
        for (int j = 0; j < N; ++j)
            for (int i = 0; i < N; ++i)
                q[i + j * N] -= 2.0 * qu[i] * u[j] / uu;
    }
}

/* The distributed matrix's local part from a replicated column-major one
 * with leading dimension N; with `keep` 'L' or 'U' only that triangle (and
 * the diagonal), NaN in the other, which the check must not read. */
static void scatter_triangle(const ntk_grid *grid, const double *full, char keep, ntk_dmatrix *d)
{
    const int64_t lld = d->desc[8];
    for (int64_t lc = 0; lc < d->local_cols; ++lc) {
        const int64_t j = grid_global_index(lc, grid->block, grid->mycol, grid->cols);
        for (int64_t lr = 0; lr < d->local_rows; ++lr) {
            const int64_t i = grid_global_index(lr, grid->block, grid->myrow, grid->rows);
            const int outside = (keep == 'L' && i < j) || (keep == 'U' && i > j);
            d->data[lr + lc * lld] = outside ? NAN : full[i + j * N];
        }
    }
}

static void scatter(const ntk_grid *grid, const double *full, ntk_dmatrix *d)
{
    scatter_triangle(grid, full, 'A', d);
}

/* The probe check of `v` (all N pairs) with `values`, -A in the upper
 * triangle as the ScaLAPACK solvers leave it. */
static void probe(const ntk_grid *grid, const ntk_dmatrix *minus_a, const double *v,
                  const double *values, ntk_dmatrix *vectors, ntk_eigenpair_check *check)
{
    scatter(grid, v, vectors);
    if (spectrum_check_eigenpairs(grid, "U", minus_a, vectors, values, check) != NTK_OK)
        die("spectrum_check_eigenpairs");
}

/* Issue 19 item 3: the checks at `factor` times A (and its eigenvalues). */
static void check_at_scale(const ntk_grid *grid, const double *a, const double *q,
                           const double *values, double factor)
{
    double *scaled = malloc(sizeof(double) * N * N), *plus = malloc(sizeof(double) * N * N);
    double scaled_values[N], shifted[N];
    for (int i = 0; i < N * N; ++i) {
        scaled[i] = a[i] * factor;
        plus[i] = -scaled[i];
    }
    for (int i = 0; i < N; ++i)
        scaled_values[i] = values[i] * factor;
    ntk_dmatrix minus_a, theta, vectors, top;
    if (dmatrix_create(grid, N, N, &minus_a) != NTK_OK ||
        dmatrix_create(grid, N, N, &theta) != NTK_OK ||
        dmatrix_create(grid, N, N, &vectors) != NTK_OK ||
        dmatrix_create(grid, N, 10, &top) != NTK_OK)
        die("dmatrix_create (scaled)");
    scatter_triangle(grid, scaled, 'U', &minus_a);
    scatter_triangle(grid, plus, 'L', &theta);
    scatter(grid, q, &vectors);
    scatter(grid, q, &top);
    ntk_eigenpair_check check;
    for (int exact = 0; exact <= 1; ++exact) {
        const ntk_dmatrix *v = exact ? &top : &vectors;
        if (spectrum_check_eigenpairs(grid, "U", &minus_a, v, scaled_values, &check) != NTK_OK)
            die("spectrum_check_eigenpairs (scaled)");
        CHECK(check.residual <= 1e-13 && check.orthogonality <= 1e-13,
              "scale %g, %s: true pairs residual %.3e, orthogonality %.3e", factor,
              exact ? "exact" : "probes", check.residual, check.orthogonality);
        memcpy(shifted, scaled_values, sizeof shifted);
        shifted[7] += 1e-6 * fabs(scaled_values[0]);
        if (spectrum_check_eigenpairs(grid, "U", &minus_a, v, shifted, &check) != NTK_OK)
            die("spectrum_check_eigenpairs (scaled, wrong)");
        CHECK(check.residual > SPECTRUM_RESIDUAL_LIMIT,
              "scale %g, %s: eigenvalue 7 off by 1e-6 passed: %.3e", factor,
              exact ? "exact" : "probes", check.residual);
    }
    double largest = 0.0;
    for (int i = 0; i < N * N; ++i)
        largest = fmax(largest, fabs(plus[i]));
    ntk_matrix_moments moments;
    if (spectrum_matrix_moments(grid, &theta, largest, &moments) != NTK_OK)
        die("spectrum_matrix_moments");
    const double error = spectrum_values_error(&moments, scaled_values, N, N);
    /* 1e-12: at 1e-300 the smallest entries are subnormal, rounded coarser */
    CHECK(error <= 1e-12, "scale %g: true eigenvalues, values check %.3e", factor, error);
    const int wrong[] = {0, 151, N - 1};
    for (int w = 0; w < 3; ++w) {
        memcpy(shifted, scaled_values, sizeof shifted);
        shifted[wrong[w]] -= 1e-8 * fabs(scaled_values[0]);
        const double off = spectrum_values_error(&moments, shifted, N, N);
        CHECK(off > SPECTRUM_VALUES_LIMIT, "scale %g: eigenvalue %d off by 1e-8 passed: %.3e",
              factor, wrong[w], off);
    }
    /* the top 10 only: lambda_1 below the largest diagonal entry is caught */
    CHECK(spectrum_values_error(&moments, scaled_values, 10, N) <= 1e-12,
          "scale %g: top 10 true", factor);
    double diagonal = -INFINITY;
    for (int i = 0; i < N; ++i)
        diagonal = fmax(diagonal, plus[i + i * N]);
    memcpy(shifted, scaled_values, sizeof shifted);
    for (int i = 0; i < 10; ++i) /* every computed one below that entry */
        shifted[i] = diagonal - 1e-6 * fabs(scaled_values[0]) * (i + 1);
    CHECK(spectrum_values_error(&moments, shifted, 10, N) > SPECTRUM_VALUES_LIMIT,
          "scale %g: top 10 all below a diagonal entry passed", factor);
    dmatrix_destroy(&top);
    dmatrix_destroy(&vectors);
    dmatrix_destroy(&theta);
    dmatrix_destroy(&minus_a);
    free(plus);
    free(scaled);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &check_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int rows = 0, cols = 0;
    grid_auto_shape(size, &rows, &cols);
    ntk_grid grid;
    if (grid_create(MPI_COMM_WORLD, BLOCK, rows, cols, &grid) != NTK_OK)
        die("grid_create");

    double *q = malloc(sizeof(double) * N * N), *a = malloc(sizeof(double) * N * N);
    double *v = malloc(sizeof(double) * N * N), values[N], shifted[N];
    householder_product(q);
    for (int i = 0; i < N; ++i)
        values[i] = 3.0 * cos(3.14159265358979 * (i + 0.5) / N); /* descending, |lambda| < 3 */
    const double scale = fabs(values[0]);
    for (int j = 0; j < N; ++j) /* -A: the check takes -Theta, as spectrum_solve leaves it */
        for (int i = 0; i < N; ++i) {
            double sum = 0.0;
            for (int l = 0; l < N; ++l)
                sum += q[i + l * N] * values[l] * q[j + l * N];
            a[i + j * N] = -sum;
        }
    ntk_dmatrix minus_a, minus_a_lower, vectors;
    if (dmatrix_create(&grid, N, N, &minus_a) != NTK_OK ||
        dmatrix_create(&grid, N, N, &minus_a_lower) != NTK_OK ||
        dmatrix_create(&grid, N, N, &vectors) != NTK_OK)
        die("dmatrix_create");
    scatter_triangle(&grid, a, 'U', &minus_a);
    scatter_triangle(&grid, a, 'L', &minus_a_lower); /* as the lapack solver leaves it */
    ntk_eigenpair_check check;

    CHECK(spectrum_check_uses_probes(N, N) && !spectrum_check_uses_probes(N, 10) &&
              !spectrum_check_uses_probes(4096, 128) && spectrum_check_uses_probes(4096, 129),
          "probes for many pairs only");
    memcpy(v, q, sizeof(double) * N * N);
    probe(&grid, &minus_a, v, values, &vectors, &check);
    CHECK(check.method != NULL && strcmp(check.method, "probes") == 0 &&
              check.probes == SPECTRUM_CHECK_PROBES,
          "all pairs: method %s, %d probes", check.method ? check.method : "(null)", check.probes);
    CHECK(check.residual <= 1e-13 && check.orthogonality <= 1e-13,
          "true pairs: residual %.3e, orthogonality %.3e", check.residual, check.orthogonality);
    if (spectrum_check_eigenpairs(&grid, "L", &minus_a_lower, &vectors, values, &check) != NTK_OK)
        die("spectrum_check_eigenpairs (lower)");
    CHECK(check.residual <= 1e-13 && check.orthogonality <= 1e-13,
          "true pairs, lower triangle: residual %.3e, orthogonality %.3e", check.residual,
          check.orthogonality);

    /* One eigenvalue wrong by 1e-6 ||A||, at the ends and in the middle. */
    const int wrong[] = {0, 151, N - 1};
    for (int w = 0; w < 3; ++w) {
        const int j = wrong[w];
        const double delta = 1e-6 * scale;
        memcpy(shifted, values, sizeof shifted);
        shifted[j] += delta;
        probe(&grid, &minus_a, v, shifted, &vectors, &check);
        double largest = 0.0;
        for (int k = 0; k < SPECTRUM_CHECK_PROBES; ++k)
            largest = fmax(largest, fabs(spectrum_probe_entry(j, k)));
        double shifted_scale = 0.0; /* the check divides by the largest |lambda| it is given */
        for (int i = 0; i < N; ++i)
            shifted_scale = fmax(shifted_scale, fabs(shifted[i]));
        const double expected = delta * largest / shifted_scale;
        CHECK(check.residual > SPECTRUM_RESIDUAL_LIMIT, "eigenvalue %d off by %.1e passed: %.3e",
              j, delta, check.residual);
        CHECK(fabs(check.residual - expected) <= 1e-6 * expected,
              "eigenvalue %d: statistic %.6e, the argument says %.6e", j, check.residual,
              expected);
        CHECK(check.orthogonality <= 1e-13, "eigenvalue %d: orthogonality %.3e", j,
              check.orthogonality);
    }

    /* One eigenvector turned by 1e-5 towards the pair at the other end. */
    for (int w = 0; w < 3; ++w) {
        const int j = wrong[w], other = N - 1 - j == j ? 0 : N - 1 - j;
        const double angle = 1e-5;
        memcpy(v, q, sizeof(double) * N * N);
        for (int i = 0; i < N; ++i)
            v[i + j * N] = cos(angle) * q[i + j * N] + sin(angle) * q[i + other * N];
        probe(&grid, &minus_a, v, values, &vectors, &check);
        CHECK(check.residual > SPECTRUM_RESIDUAL_LIMIT, "vector %d turned by %.0e passed: %.3e",
              j, angle, check.residual);
        CHECK(check.orthogonality > SPECTRUM_ORTHOGONALITY_LIMIT,
              "vector %d turned: orthogonality %.3e", j, check.orthogonality);
    }

    /* Pair 152 a copy of pair 151: every residual is exact, V is not orthonormal. */
    memcpy(v, q, sizeof(double) * N * N);
    memcpy(shifted, values, sizeof shifted);
    memcpy(v + 152 * N, v + 151 * N, sizeof(double) * N);
    shifted[152] = shifted[151];
    probe(&grid, &minus_a, v, shifted, &vectors, &check);
    CHECK(check.residual <= 1e-13, "repeated pair: residual %.3e", check.residual);
    CHECK(check.orthogonality > SPECTRUM_ORTHOGONALITY_LIMIT,
          "repeated eigenvector passed: orthogonality %.3e", check.orthogonality);

    /* 10 pairs: the exact check (the first 10 columns of the same matrix). */
    ntk_dmatrix top;
    if (dmatrix_create(&grid, N, 10, &top) != NTK_OK)
        die("dmatrix_create (top)");
    memcpy(v, q, sizeof(double) * N * N);
    scatter(&grid, v, &top);
    if (spectrum_check_eigenpairs(&grid, "L", &minus_a_lower, &top, values, &check) != NTK_OK)
        die("spectrum_check_eigenpairs (exact)");
    CHECK(check.method != NULL && strcmp(check.method, "exact") == 0 && check.probes == 0,
          "10 pairs: method %s", check.method ? check.method : "(null)");
    CHECK(check.residual <= 1e-13 && check.orthogonality <= 1e-13,
          "10 true pairs: residual %.3e, orthogonality %.3e", check.residual,
          check.orthogonality);
    memcpy(shifted, values, sizeof shifted);
    shifted[7] += 1e-6 * scale;
    if (spectrum_check_eigenpairs(&grid, "U", &minus_a, &top, shifted, &check) != NTK_OK)
        die("spectrum_check_eigenpairs (exact, wrong)");
    CHECK(fabs(check.residual - 1e-6) <= 1e-9, "exact: eigenvalue 7 off by 1e-6: %.6e",
          check.residual);

    const double factors[] = {1.0, 1e-200, 1e-300, 1e+300};
    for (int f = 0; f < 4; ++f)
        check_at_scale(&grid, a, q, values, factors[f]);

    dmatrix_destroy(&top);
    dmatrix_destroy(&vectors);
    dmatrix_destroy(&minus_a);
    dmatrix_destroy(&minus_a_lower);
    free(q);
    free(a);
    free(v);
    int total = 0;
    MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (check_rank == 0)
        printf("eigenpair_check: %d checks, %d failures on %d ranks\n", checks, total, size);
    grid_destroy(&grid);
    MPI_Finalize();
    return total == 0 ? 0 : 1;
}
