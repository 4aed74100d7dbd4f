/* The conjugate-gradient engine of predict.solver cg (src/predict/cg/) on
 * the stored operator, against residuals computed here from the formula.
 *
 * Theta: a Gaussian kernel exp(-|x_i - x_j|^2 / 2) on N = 400 points of the
 * plane (a fast-decaying spectrum, so with ridge 1e-3 x the mean diagonal
 * the system is ill-conditioned, as kernel regression is), assembled as its
 * lower triangle only with garbage above (the operator mirrors it), on every
 * grid shape of the rank count. B: 3 right-hand sides, one of them zero.
 * - none, nystrom and pivoted_cholesky (rank 120) reach predict.tol 1e-8 by
 *   the true residual ||b - (Theta + ridge I) x|| / ||b|| recomputed here;
 *   the solutions agree with each other to within tol times the condition
 *   number's bound (lambda_max + ridge) / ridge;
 * - both preconditioners need at least 5 times fewer iterations than none
 *   (none: about 410, on the first grid only, to keep the test short);
 * - the own rows <-> block-cyclic exchange is exact both ways;
 * - a checkpoint written after iteration 4, loaded into a fresh state and
 *   continued, gives bit for bit the iterates and residual history of the
 *   run that was not stopped. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grid/grid.h"
#include "predict/cg/cg.h"
#include "predict/cg/cg_operators.h"
#include "check.h"

enum { N = 400, CHANNELS = 3, RANK = 120 };
static const double TOL = 1e-8;
static int rank = 0;

static void point(int64_t i, double *x, double *y)
{
    *x = 3.0 * sin(1.3 * (double)i + 0.2) + 0.1 * cos(0.7 * (double)i * (double)i);
    *y = 2.0 * cos(0.9 * (double)i) + 0.05 * sin(2.1 * (double)i);
}

static double kernel_entry(int64_t i, int64_t j)
{
    double xi, yi, xj, yj;
    point(i, &xi, &yi);
    point(j, &xj, &yj);
    const double d2 = (xi - xj) * (xi - xj) + (yi - yj) * (yi - yj);
    return exp(-0.5 * d2);
}

static double rhs_entry(int64_t i, int c)
{
    if (c == 1)
        return 0.0;
    return sin(0.37 * (double)i * (c + 1)) + (c == 2 ? 0.5 : 0.0);
}

static void die(const char *what)
{
    fprintf(stderr, "rank %d: %s failed: %s\n", rank, what, ntk_error_message());
    MPI_Abort(MPI_COMM_WORLD, 1);
}

static void fill_lower(const ntk_grid *grid, ntk_dmatrix *theta)
{
    const int64_t lld = theta->local_rows > 1 ? theta->local_rows : 1;
    for (int64_t lc = 0; lc < theta->local_cols; ++lc) {
        const int64_t j = grid_global_index(lc, grid->block, grid->mycol, grid->cols);
        for (int64_t lr = 0; lr < theta->local_rows; ++lr) {
            const int64_t i = grid_global_index(lr, grid->block, grid->myrow, grid->rows);
            theta->data[lc * lld + lr] = i >= j ? kernel_entry(i, j) : 1e30;
        }
    }
}

/* max over channels of ||b - (Theta + ridge) x|| / ||b|| from the formula,
 * x gathered from the own rows. */
static double true_residual(const double *x_own, int64_t first, int64_t own, double ridge)
{
    static double x[N * CHANNELS];
    memset(x, 0, sizeof x);
    for (int c = 0; c < CHANNELS; ++c)
        for (int64_t i = 0; i < own; ++i)
            x[c * N + first + i] = x_own[c * own + i];
    MPI_Allreduce(MPI_IN_PLACE, x, N * CHANNELS, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    double worst = 0.0;
    for (int c = 0; c < CHANNELS; ++c) {
        double r2 = 0.0, b2 = 0.0;
        for (int64_t i = 0; i < N; ++i) {
            double ax = ridge * x[c * N + i];
            for (int64_t j = 0; j < N; ++j)
                ax += kernel_entry(i, j) * x[c * N + j];
            const double r = rhs_entry(i, c) - ax;
            r2 += r * r;
            b2 += rhs_entry(i, c) * rhs_entry(i, c);
        }
        const double relative = b2 > 0.0 ? sqrt(r2 / b2) : sqrt(r2);
        if (relative > worst)
            worst = relative;
    }
    return worst;
}

typedef struct {
    const char *path;
    int64_t save_at;
    int saved;
} checkpoint_hook;

static ntk_status save_hook(void *context, const cg_state *state)
{
    checkpoint_hook *hook = context;
    if (state->iteration == hook->save_at) {
        hook->saved = 1;
        return cg_checkpoint_save(hook->path, MPI_COMM_WORLD, 77, N, state);
    }
    return NTK_OK;
}

static void test_exchange(const ntk_grid *grid, int64_t first, int64_t own)
{
    ntk_dmatrix a;
    if (dmatrix_create(grid, N, 5, &a) != NTK_OK)
        die("dmatrix_create");
    double *in = calloc((size_t)(own > 0 ? own : 1) * 5, sizeof(double));
    double *out = calloc((size_t)(own > 0 ? own : 1) * 5, sizeof(double));
    for (int c = 0; c < 5; ++c)
        for (int64_t i = 0; i < own; ++i)
            in[c * own + i] = 1000.0 * c + (double)(first + i);
    if (cg_rows_to_dmatrix(grid, in, own > 0 ? own : 1, first, own, &a) != NTK_OK)
        die("cg_rows_to_dmatrix");
    int bad = 0;
    const int64_t lld = a.local_rows > 1 ? a.local_rows : 1;
    for (int64_t lc = 0; lc < a.local_cols; ++lc)
        for (int64_t lr = 0; lr < a.local_rows; ++lr) {
            const int64_t i = grid_global_index(lr, grid->block, grid->myrow, grid->rows);
            const int64_t j = grid_global_index(lc, grid->block, grid->mycol, grid->cols);
            bad += a.data[lc * lld + lr] != 1000.0 * (double)j + (double)i;
        }
    CHECK(bad == 0, "own rows -> block-cyclic: %d wrong entries", bad);
    if (cg_rows_from_dmatrix(grid, &a, first, own, out, own > 0 ? own : 1) != NTK_OK)
        die("cg_rows_from_dmatrix");
    CHECK(memcmp(in, out, sizeof(double) * (size_t)(own * 5)) == 0,
          "block-cyclic -> own rows is not the inverse");
    dmatrix_destroy(&a);
    free(in);
    free(out);
}

static void run_grid(int rows, int cols, int block, int with_plain)
{
    int ranks = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    ntk_grid grid;
    if (grid_create(MPI_COMM_WORLD, block, rows, cols, &grid) != NTK_OK)
        die("grid_create");
    int64_t first = 0, own = 0;
    grid_own_block(N, ranks, rank, &first, &own);
    test_exchange(&grid, first, own);

    ntk_dmatrix theta;
    if (dmatrix_create(&grid, N, N, &theta) != NTK_OK)
        die("dmatrix_create");
    fill_lower(&grid, &theta);
    cg_stored stored;
    if (cg_stored_create(&grid, &theta, 1, first, own, &stored) != NTK_OK)
        die("cg_stored_create");
    const double ridge = 1e-3; /* the mean diagonal is 1: condition number 6e4 */
    double *b = calloc((size_t)(own > 0 ? own : 1) * CHANNELS, sizeof(double));
    for (int c = 0; c < CHANNELS; ++c)
        for (int64_t i = 0; i < own; ++i)
            b[c * own + i] = rhs_entry(first + i, c);

    /* The last: nystrom with one power step (subspace iteration). */
    const cg_preconditioner_kind kinds[4] = {CG_PRECONDITIONER_NONE, CG_PRECONDITIONER_NYSTROM,
                                             CG_PRECONDITIONER_PIVOTED_CHOLESKY,
                                             CG_PRECONDITIONER_NYSTROM};
    const int powers[4] = {0, 0, 0, 1};
    const char *names[4] = {"none", "nystrom", "pivoted_cholesky", "nystrom, power 1"};
    int64_t iterations[4] = {0, 0, 0, 0};
    double *solutions[4] = {NULL, NULL, NULL, NULL};
    double lambda_max = 0.0;
    for (int kind = with_plain ? 0 : 1; kind < 4; ++kind) {
        cg_preconditioner preconditioner;
        if (cg_preconditioner_build(&stored.op, kinds[kind], RANK, ridge, 5, CHANNELS,
                                    powers[kind], &preconditioner) != NTK_OK)
            die("cg_preconditioner_build");
        if (kind > 0) {
            CHECK(preconditioner.rank > 10 && preconditioner.rank <= RANK,
                  "%s: rank %lld of %d", names[kind], (long long)preconditioner.rank, RANK);
            lambda_max = preconditioner.lambda[0];
        }
        cg_state state;
        if (cg_state_create(own, CHANNELS, 3000, &state) != NTK_OK)
            die("cg_state_create");
        cg_options options = {TOL, 3000, ridge, NULL, NULL};
        cg_result result;
        if (cg_solve(&stored.op, &preconditioner, &options, b, 0, &state, &result) != NTK_OK)
            die("cg_solve");
        const double residual = true_residual(state.x, first, own, ridge);
        CHECK(result.converged, "%s (grid %dx%d): not converged in %lld iterations (%g)",
              names[kind], rows, cols, (long long)result.iterations, result.final_residual);
        CHECK(residual <= 2.0 * TOL, "%s: true residual %g above the tolerance %g",
              names[kind], residual, TOL);
        CHECK(fabs(residual - result.final_residual) <= 0.5 * TOL,
              "%s: reported residual %g, recomputed %g", names[kind], result.final_residual,
              residual);
        if (rank == 0)
            printf("grid %dx%d block %d: %s %lld iterations, residual %.3g\n", rows, cols, block,
                   names[kind], (long long)result.iterations, residual);
        iterations[kind] = result.iterations;
        solutions[kind] = malloc(sizeof(double) * (size_t)(own * CHANNELS + 1));
        memcpy(solutions[kind], state.x, sizeof(double) * (size_t)(own * CHANNELS));
        /* The zero right-hand side gives x = 0 exactly. */
        for (int64_t i = 0; i < own; ++i)
            CHECK(state.x[own + i] == 0.0, "%s: zero b gave x %g", names[kind], state.x[own + i]);
        cg_state_free(&state);
        cg_preconditioner_free(&preconditioner);
    }
    if (with_plain) {
    CHECK(iterations[0] >= 5 * iterations[1], "nystrom: %lld iterations against %lld without",
          (long long)iterations[1], (long long)iterations[0]);
    CHECK(iterations[0] >= 5 * iterations[2],
          "pivoted_cholesky: %lld iterations against %lld without", (long long)iterations[2],
          (long long)iterations[0]);
    }
    /* A basis closer to Theta's top eigenvectors: no more iterations. */
    CHECK(iterations[3] <= iterations[1], "nystrom with a power step: %lld iterations, %lld "
          "without it", (long long)iterations[3], (long long)iterations[1]);
    /* ||x - x_ref|| / ||x_ref|| <= cond * (both residuals). */
    const double condition = (lambda_max + ridge) / ridge;
    for (int kind = 1; kind < 4 && with_plain; ++kind) {
        double d2 = 0.0, x2 = 0.0;
        for (int64_t e = 0; e < own * CHANNELS; ++e) {
            d2 += (solutions[kind][e] - solutions[0][e]) * (solutions[kind][e] - solutions[0][e]);
            x2 += solutions[0][e] * solutions[0][e];
        }
        MPI_Allreduce(MPI_IN_PLACE, &d2, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, &x2, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
        CHECK(sqrt(d2 / x2) <= 4.0 * TOL * condition, "%s vs none: %g apart, bound %g",
              names[kind], sqrt(d2 / x2), 4.0 * TOL * condition);
    }

    /* Checkpoint after iteration 4 and resume: the same iterates. */
    char path[256];
    snprintf(path, sizeof path, "cg_engine_test_%d.ckpt", ranks);
    if (rank == 0)
        remove(path);
    cg_preconditioner preconditioner;
    if (cg_preconditioner_build(&stored.op, CG_PRECONDITIONER_NYSTROM, RANK, ridge, 5, CHANNELS, 0,
                                &preconditioner) != NTK_OK)
        die("cg_preconditioner_build");
    checkpoint_hook hook = {path, 4, 0};
    cg_state whole, resumed;
    if (cg_state_create(own, CHANNELS, 3000, &whole) != NTK_OK ||
        cg_state_create(own, CHANNELS, 3000, &resumed) != NTK_OK)
        die("cg_state_create");
    cg_options options = {TOL, 3000, ridge, save_hook, &hook};
    cg_result result, result_resumed;
    if (cg_solve(&stored.op, &preconditioner, &options, b, 0, &whole, &result) != NTK_OK)
        die("cg_solve");
    CHECK(hook.saved, "no checkpoint was written at iteration 4");
    int found = 0;
    if (cg_checkpoint_load(path, MPI_COMM_WORLD, 77, N, &resumed, &found) != NTK_OK)
        die("cg_checkpoint_load");
    CHECK(found && resumed.iteration == 4, "checkpoint: found %d at iteration %lld", found,
          (long long)resumed.iteration);
    cg_options plain = {TOL, 3000, ridge, NULL, NULL};
    if (cg_solve(&stored.op, &preconditioner, &plain, b, 1, &resumed, &result_resumed) != NTK_OK)
        die("cg_solve resumed");
    CHECK(result_resumed.iterations == result.iterations, "resumed: %lld iterations, whole %lld",
          (long long)result_resumed.iterations, (long long)result.iterations);
    CHECK(memcmp(whole.x, resumed.x, sizeof(double) * (size_t)(own * CHANNELS)) == 0,
          "resumed iterate differs from the whole run's");
    CHECK(memcmp(whole.history, resumed.history,
                 sizeof(double) * (size_t)((whole.iteration + 1) * CHANNELS)) == 0,
          "resumed residual history differs");
    /* Another job's checkpoint is refused. */
    cg_state other;
    cg_state_create(own, CHANNELS, 3000, &other);
    ntk_status status = cg_checkpoint_load(path, MPI_COMM_WORLD, 78, N, &other, &found);
    CHECK(status == NTK_ERR_JOB, "a checkpoint of another job hash was accepted (%d)", status);
    ntk_error_clear();
    cg_state_free(&other);
    cg_state_free(&whole);
    cg_state_free(&resumed);
    cg_preconditioner_free(&preconditioner);
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0)
        remove(path);

    for (int kind = 0; kind < 4; ++kind)
        free(solutions[kind]);
    free(b);
    dmatrix_destroy(&theta);
    grid_destroy(&grid);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int ranks = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    check_rank = rank;
    run_grid(ranks, 1, 32, 1);
    if (ranks > 1)
        run_grid(1, ranks, 7, 0);
    if (ranks == 4)
        run_grid(2, 2, 16, 0);
    int all = 0;
    MPI_Allreduce(&failures, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0)
        printf("%d checks, %d failures\n", checks, all);
    MPI_Finalize();
    return all == 0 ? 0 : 1;
}
