/* The matrix-free pair check (spectrum/parpack/matrix_free_check.c) on true
 * eigenpairs of the operator's Theta and on deliberately broken ones.
 *
 * Theta (M = 90, trace kernel of a small MLP) is built column by column
 * from the operator itself and solved by LAPACK dsyev on every rank; its
 * top 40 pairs, own rows on each rank as in a run, then:
 * - true pairs: the exact residuals are rounding, and the probes with those
 *   residuals as the claimed estimates pass (limit_ratio <= 1), as does the
 *   orthogonality probe;
 * - one eigenvector turned towards another (pair 2, 1e-6 of pair 30's
 *   vector, renormalised), one eigenvalue off by 1e-6 relative (pair 7),
 *   and one eigenvector repeated with its eigenvalue (pair 12 := pair 13,
 *   zero residuals): each, with the true pairs' estimates claimed, fails
 *   the probes (limit_ratio > 1) or the orthogonality limit;
 * - spectrum.pair_check's auto rule: probes above 32 pairs. */
#include <math.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/lapack.h"
#include "grid/grid.h"
#include "model/model_test_util.h"
#include "spectrum/parpack/matrix_free.h"

#define REQUIRE(condition) CHECK(condition, "%s", #condition)

enum { N = 90, DIM = 5, PAIRS = 40 };

static void *allocate(size_t count)
{
    double *p = calloc(count + 1, sizeof(double));
    if (p == NULL) {
        fprintf(stderr, "out of memory\n");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    return p;
}

/* The whole M x M Theta on every rank, one product per column. */
static void assemble(mf_operator *op, int ranks, double *theta)
{
    const int64_t ld = op->rows > 0 ? op->rows : 1;
    double *e = allocate((size_t)ld), *y = allocate((size_t)ld);
    int *counts = allocate((size_t)ranks), *offsets = allocate((size_t)ranks);
    const int rows = (int)op->rows;
    REQUIRE(MPI_Allgather(&rows, 1, MPI_INT, counts, 1, MPI_INT, MPI_COMM_WORLD) == MPI_SUCCESS);
    for (int r = 1; r < ranks; ++r)
        offsets[r] = offsets[r - 1] + counts[r - 1];
    for (int64_t j = 0; j < N; ++j) {
        for (int64_t r = 0; r < op->rows; ++r)
            e[r] = op->first_row + r == j ? 1.0 : 0.0;
        REQUIRE(mf_operator_apply(op, e, 1, ld, y) == NTK_OK);
        REQUIRE(MPI_Allgatherv(y, rows, MPI_DOUBLE, theta + j * N, counts, offsets, MPI_DOUBLE,
                               MPI_COMM_WORLD) == MPI_SUCCESS);
    }
    free(e);
    free(y);
    free(counts);
    free(offsets);
}

typedef struct {
    mf_operator *op;
    int64_t ld;
    double scale;
} check_context;

/* The probes of (values, z) with `claimed` estimates. */
static mf_probe_result probe(const check_context *c, const double *z, const double *values,
                             const double *claimed)
{
    mf_probe_result result;
    REQUIRE(mf_probe_pairs(c->op, z, c->ld, values, claimed, PAIRS, c->scale, 1e-10, N,
                           &result) == NTK_OK);
    return result;
}

static void check_broken(const check_context *c, const double *z, const double *values,
                         const double *claimed)
{
    const int64_t ld = c->ld, rows = c->op->rows;
    double *bad = allocate((size_t)(ld * PAIRS)), *bad_values = allocate(PAIRS);

    /* Pair 2 turned by 1e-6 towards pair 30: residual about 1e-6 lambda_2. */
    memcpy(bad, z, sizeof(double) * (size_t)(ld * PAIRS));
    memcpy(bad_values, values, sizeof(double) * PAIRS);
    double norm2 = 0.0;
    for (int64_t r = 0; r < rows; ++r) {
        bad[2 * ld + r] += 1e-6 * z[30 * ld + r];
        norm2 += bad[2 * ld + r] * bad[2 * ld + r];
    }
    REQUIRE(MPI_Allreduce(MPI_IN_PLACE, &norm2, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD) ==
            MPI_SUCCESS);
    for (int64_t r = 0; r < rows; ++r)
        bad[2 * ld + r] /= sqrt(norm2);
    mf_probe_result result = probe(c, bad, bad_values, claimed);
    CHECK(result.limit_ratio > 1.0, "turned eigenvector passed the probes: ratio %.3g",
          result.limit_ratio);
    const double turned = result.limit_ratio;

    /* Pair 7's eigenvalue 1e-6 relative off. */
    memcpy(bad, z, sizeof(double) * (size_t)(ld * PAIRS));
    bad_values[7] *= 1.0 + 1e-6;
    result = probe(c, bad, bad_values, claimed);
    CHECK(result.limit_ratio > 1.0, "wrong eigenvalue passed the probes: ratio %.3g",
          result.limit_ratio);
    const double shifted = result.limit_ratio;

    /* Pair 12 := pair 13 (vector and value): residuals fine, not orthonormal. */
    memcpy(bad_values, values, sizeof(double) * PAIRS);
    memcpy(bad + 12 * ld, z + 13 * ld, sizeof(double) * (size_t)rows);
    bad_values[12] = values[13];
    result = probe(c, bad, bad_values, claimed);
    CHECK(result.limit_ratio <= 1.0, "a repeated true pair failed the residual probes: %.3g",
          result.limit_ratio);
    CHECK(result.orthogonality > SPECTRUM_ORTHOGONALITY_LIMIT,
          "repeated eigenvector passed the orthogonality probe: %.3g", result.orthogonality);
    if (check_rank == 0)
        printf("broken pairs: turned vector %.2e x the limit, wrong value %.2e x, repeated "
               "vector orthogonality %.2e\n", turned, shifted, result.orthogonality);
    free(bad);
    free(bad_values);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank = 0, ranks = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    check_rank = rank;

    REQUIRE(mf_pair_check_uses_probes(NTK_PAIR_CHECK_AUTO, SPECTRUM_CHECK_EXACT_PAIRS) == 0);
    REQUIRE(mf_pair_check_uses_probes(NTK_PAIR_CHECK_AUTO, SPECTRUM_CHECK_EXACT_PAIRS + 1) == 1);
    REQUIRE(mf_pair_check_uses_probes(NTK_PAIR_CHECK_EXACT, 100) == 0);
    REQUIRE(mf_pair_check_uses_probes(NTK_PAIR_CHECK_PROBES, 1) == 1);

    const int64_t widths[] = {24, 16, 1};
    const ntk_activation acts[] = {NTK_ACT_TANH, NTK_ACT_RELU};
    double x[N * DIM];
    test_inputs(x, N, DIM, 23);
    ntk_model_spec spec;
    test_spec(&spec, 3, widths, acts, NTK_PARAM_NTK, 1.4, 0.2, 29);
    ntk_model model;
    REQUIRE(model_create(&spec, DIM, &model) == NTK_OK);
    ntk_input_block block = {N, DIM, 0, 0, NULL};
    grid_own_block(N, ranks, rank, &block.first, &block.count);
    block.x = x + block.first * DIM;
    mf_operator op;
    REQUIRE(mf_operator_create(&model, &block, MPI_COMM_WORLD, 0, 1, 0, MF_CHECK_COLUMNS, &op) ==
            NTK_OK);

    double *theta = allocate(N * N), *w = allocate(N);
    assemble(&op, ranks, theta);
    int n = N, info = 0, lwork = -1;
    double query = 0.0;
    dsyev_("V", "L", &n, theta, &n, w, &query, &lwork, &info, 1, 1);
    lwork = (int)query;
    double *work = allocate((size_t)lwork);
    dsyev_("V", "L", &n, theta, &n, w, work, &lwork, &info, 1, 1);
    REQUIRE(info == 0);

    /* The top PAIRS, descending, own rows. */
    const int64_t ld = op.rows > 0 ? op.rows : 1;
    double *z = allocate((size_t)(ld * PAIRS)), *values = allocate(PAIRS);
    double *exact = allocate(PAIRS);
    for (int i = 0; i < PAIRS; ++i) {
        values[i] = w[N - 1 - i];
        for (int64_t r = 0; r < op.rows; ++r)
            z[i * ld + r] = theta[(N - 1 - i) * N + op.first_row + r];
    }
    const check_context context = {&op, ld, values[0]};
    REQUIRE(mf_exact_residuals(&op, z, ld, values, PAIRS, values[0], exact) == NTK_OK);
    double worst = 0.0;
    for (int i = 0; i < PAIRS; ++i)
        worst = fmax(worst, exact[i]);
    CHECK(worst <= 1e-13, "true pairs: exact residual %.3g", worst);

    const int64_t before = op.products;
    mf_probe_result result = probe(&context, z, values, exact);
    CHECK(op.products - before == SPECTRUM_CHECK_PROBES, "probes took %lld products",
          (long long)(op.products - before));
    CHECK(result.limit_ratio <= 1.0, "true pairs failed the probes: ratio %.3g (residual %.3g)",
          result.limit_ratio, result.residual);
    CHECK(result.orthogonality <= 1e-12, "true pairs: orthogonality %.3g", result.orthogonality);
    /* The orthogonality alone takes no product. */
    mf_probe_result alone;
    REQUIRE(mf_probe_pairs(&op, z, ld, values, NULL, PAIRS, values[0], 1e-10, N, &alone) ==
            NTK_OK);
    CHECK(op.products - before == SPECTRUM_CHECK_PROBES && isnan(alone.limit_ratio) &&
              alone.orthogonality == result.orthogonality,
          "orthogonality-only probe: %lld products, ratio %.3g", (long long)op.products,
          alone.limit_ratio);
    check_broken(&context, z, values, exact);

    if (rank == 0)
        printf("matrix_free_check: true pairs residual %.2e, probe %.2e (ratio %.2e), "
               "orthogonality %.2e; %d checks, %d failed\n",
               worst, result.residual, result.limit_ratio, result.orthogonality, checks,
               failures);
    mf_operator_destroy(&op);
    model_destroy(&model);
    free(theta);
    free(w);
    free(work);
    free(z);
    free(values);
    free(exact);
    MPI_Finalize();
    return failures != 0;
}
