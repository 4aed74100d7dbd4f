/* The public interface through its header only: a full-output kernel (M = N k
 * with k = 2) on a grid whose blocks do not divide M. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ntkgram/ntkgram.h>

#include "check.h"

enum { N = 13, DIM = 3, K = 2, M = N * K };

static const char job_text[] =
    "name: api-session\n"
    "data:\n"
    "  inputs: {synthetic: gaussian, n: 13, dim: 3, seed: 5}\n"
    "model:\n"
    "  layers: [{dense: 8}, tanh, {dense: 2}]\n"
    "  b_std: 0.1\n"
    "  seed: 11\n"
    "kernel:\n"
    "  outputs: full\n"
    "grid:\n"
    "  block: 3\n";

/* Every rank's result must be the same: the minimum and maximum agree. */
static int agreed(int value)
{
    int low = 0, high = 0;
    MPI_Allreduce(&value, &low, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(&value, &high, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    CHECK(low == high, "ranks disagree: %d .. %d", low, high);
    return value;
}

static void check_parts(ntk_session *session, const double *theta)
{
    ntk_theta_layout layout;
    CHECK(ntk_theta_layout_get(session, &layout) == NTK_RESULT_OK, "layout: %s", ntk_last_error());
    CHECK(layout.rows == M && layout.cols == M, "layout %lld x %lld", (long long)layout.rows,
          (long long)layout.cols);
    CHECK(layout.descriptor[2] == M && layout.descriptor[3] == M &&
              layout.descriptor[4] == layout.block && layout.descriptor[8] >= layout.local_rows,
          "descriptor m %d n %d mb %d lld %d", layout.descriptor[2], layout.descriptor[3],
          layout.descriptor[4], layout.descriptor[8]);
    const int64_t ld = layout.local_rows + 2; /* wider than needed: the stride is honoured */
    double *local = calloc((size_t)(ld * (layout.local_cols + 1)), sizeof *local);
    CHECK(ntk_theta_local(session, local, ld) == NTK_RESULT_OK, "local: %s", ntk_last_error());
    int64_t seen = 0, wrong = 0;
    for (int64_t jl = 0; jl < layout.local_cols; jl++)
        for (int64_t il = 0; il < layout.local_rows; il++) {
            const int64_t i = (il / layout.block * layout.grid_rows + layout.my_row) * layout.block +
                              il % layout.block;
            const int64_t j = (jl / layout.block * layout.grid_cols + layout.my_col) * layout.block +
                              jl % layout.block;
            wrong += local[jl * ld + il] != theta[i * M + j];
            seen++;
        }
    CHECK(wrong == 0, "%lld of %lld local entries differ from the gathered Theta", (long long)wrong,
          (long long)seen);
    long long total = 0, mine = seen;
    MPI_Allreduce(&mine, &total, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
    CHECK(total == (long long)M * M, "the local parts hold %lld entries, not %d", total, M * M);
    CHECK(ntk_theta_local(session, local, layout.local_rows - 1) == NTK_RESULT_USAGE,
          "a short leading dimension was accepted");
    free(local);
}

static void check_eigenvalues(ntk_session *session, const double *theta)
{
    double values[M + 1];
    int64_t found = 0;
    CHECK(agreed(ntk_eigenvalues(session, values, M - 1, &found)) == NTK_RESULT_USAGE,
          "room for M - 1 values was accepted");
    CHECK(strstr(ntk_last_error(), "values") != NULL, "message: %s", ntk_last_error());
    CHECK(agreed(ntk_eigenvalues(session, values, M, &found)) == NTK_RESULT_OK, "eigenvalues: %s",
          ntk_last_error());
    CHECK(found == M, "found %lld", (long long)found);
    double trace = 0.0, sum = 0.0, scale = 0.0;
    for (int i = 0; i < M; i++) {
        trace += theta[i * M + i];
        sum += values[i];
        scale += fabs(values[i]);
        if (i > 0)
            CHECK(values[i] <= values[i - 1], "not descending at %d", i);
    }
    CHECK(fabs(sum - trace) <= 1e-12 * scale, "sum of eigenvalues %.17g, trace %.17g", sum, trace);
    double largest = values[0], most = 0.0;
    MPI_Allreduce(&values[0], &most, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    CHECK(most == largest, "ranks have different eigenvalues");
}

static void check_session(const char *path, int rank, int ranks)
{
    ntk_session *session = NULL;
    CHECK(agreed(ntk_session_open(path, NULL, 0, MPI_COMM_WORLD, &session)) == NTK_RESULT_OK,
          "open: %s", ntk_last_error());
    if (!session)
        return;
    ntk_description d;
    CHECK(ntk_session_describe(session, &d) == NTK_RESULT_OK, "describe");
    CHECK(d.n_inputs == N && d.input_dim == DIM && d.outputs == K && d.theta_rows == M,
          "described N %lld dim %lld k %d M %lld", (long long)d.n_inputs, (long long)d.input_dim,
          d.outputs, (long long)d.theta_rows);
    CHECK(d.grid_rows * d.grid_cols == ranks && d.block == 3, "grid %d x %d block %d", d.grid_rows,
          d.grid_cols, d.block);
    CHECK(d.parameters == (DIM + 1) * 8 + (8 + 1) * K, "parameters %lld", (long long)d.parameters);

    /* Argument errors: the same code on every rank, and the session still works. */
    CHECK(agreed(ntk_theta_gather(session, ranks, NULL)) == NTK_RESULT_USAGE, "root out of range");
    CHECK(agreed(ntk_theta_gather(session, 0, NULL)) == NTK_RESULT_USAGE, "NULL theta on the root");
    CHECK(strstr(ntk_last_error(), "theta is NULL on rank 0") != NULL, "message: %s",
          ntk_last_error());

    const int root = ranks - 1;
    double *at_root = rank == root ? calloc(M * M, sizeof *at_root) : NULL;
    double *everywhere = calloc(M * M, sizeof *everywhere);
    CHECK(agreed(ntk_theta_gather(session, root, at_root)) == NTK_RESULT_OK, "gather: %s",
          ntk_last_error());
    CHECK(agreed(ntk_theta_gather(session, NTK_ALL_RANKS, everywhere)) == NTK_RESULT_OK,
          "gather all: %s", ntk_last_error());
    if (at_root)
        CHECK(memcmp(at_root, everywhere, sizeof(double) * M * M) == 0,
              "Theta on the root differs from Theta on every rank");
    int asymmetric = 0, bad_diagonal = 0;
    for (int i = 0; i < M; i++) {
        bad_diagonal += !(everywhere[i * M + i] > 0.0) || !isfinite(everywhere[i * M + i]);
        for (int j = 0; j < i; j++)
            asymmetric += everywhere[i * M + j] != everywhere[j * M + i];
    }
    CHECK(asymmetric == 0 && bad_diagonal == 0, "%d asymmetric pairs, %d bad diagonal entries",
          asymmetric, bad_diagonal);
    double mine = everywhere[5 * M + 17], low = 0.0;
    MPI_Allreduce(&mine, &low, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
    CHECK(low == mine, "ranks gathered different matrices");

    check_parts(session, everywhere);
    check_eigenvalues(session, everywhere);
    free(at_root);
    free(everywhere);
    ntk_session_close(&session);
    CHECK(session == NULL, "close left the handle");
}

static void check_open_errors(const char *path)
{
    ntk_session *session = NULL;
    const char *bad[] = {"model.layers[0].dense=0"};
    CHECK(agreed(ntk_session_open(path, bad, 1, MPI_COMM_WORLD, &session)) == NTK_RESULT_JOB,
          "a bad setting was accepted");
    CHECK(session == NULL && strstr(ntk_last_error(), "model.layers[0].dense") != NULL,
          "message: %s", ntk_last_error());
    const char *not_a_setting[] = {"model.seed"};
    CHECK(agreed(ntk_session_open(path, not_a_setting, 1, MPI_COMM_WORLD, &session)) != 0,
          "a setting without a value was accepted");
    CHECK(agreed(ntk_session_open("no-such-job.yaml", NULL, 0, MPI_COMM_WORLD, &session)) ==
              NTK_RESULT_JOB,
          "a missing job file: %s", ntk_last_error());
    CHECK(strstr(ntk_last_error(), "no-such-job.yaml") != NULL, "message: %s", ntk_last_error());
    CHECK(agreed(ntk_session_open(path, NULL, 0, MPI_COMM_WORLD, NULL)) == NTK_RESULT_USAGE,
          "a NULL handle was accepted");
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank = 0, ranks = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    check_rank = rank;
    char path[64];
    snprintf(path, sizeof path, "api_session_%d.yaml", ranks);
    if (rank == 0) {
        FILE *file = fopen(path, "w");
        CHECK(file && fputs(job_text, file) >= 0 && fclose(file) == 0, "writing %s", path);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    CHECK(strcmp(ntk_version(), NTK_VERSION_STRING) == 0, "version %s", ntk_version());
    check_session(path, rank, ranks);
    check_open_errors(path);
    int all_failures = 0;
    MPI_Allreduce(&failures, &all_failures, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0)
        printf("api_session on %d ranks: %d checks, %d failures\n", ranks, checks, all_failures);
    MPI_Finalize();
    return all_failures != 0;
}
