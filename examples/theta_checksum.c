/* Theta and its eigenvalues through ntkgram's public interface, printed as
 * checksums a script can compare with `ntkgram run`'s theta.npy and
 * eigenvalues.npy for the same job.
 *
 *   mpirun -n 2 theta_checksum JOB.yaml [key.path=value ...]
 *
 * Prints (rank 0), each value with 17 significant digits:
 *   theta M sum S sumsq Q trace T
 *   eigenvalues COUNT largest L smallest S
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#include <ntkgram/ntkgram.h>

static int fail(int rank, const char *what, int result)
{
    if (rank == 0)
        fprintf(stderr, "theta_checksum: %s: %s (code %d)\n", what, ntk_last_error(), result);
    return result;
}

static int run(int argc, char **argv, int rank)
{
    if (argc < 2) {
        if (rank == 0)
            fprintf(stderr, "usage: theta_checksum JOB.yaml [key.path=value ...]\n");
        return 2;
    }
    ntk_session *session = NULL;
    int result = ntk_session_open(argv[1], (const char *const *)argv + 2, argc - 2,
                                  MPI_COMM_WORLD, &session);
    if (result != NTK_RESULT_OK)
        return fail(rank, argv[1], result);
    ntk_description description;
    ntk_session_describe(session, &description);
    const int64_t m = description.theta_rows;

    double *theta = NULL;
    if (rank == 0 && !(theta = malloc(sizeof(double) * (size_t)(m * m)))) {
        fprintf(stderr, "theta_checksum: no memory for a %lld x %lld Theta\n", (long long)m,
                (long long)m);
        MPI_Abort(MPI_COMM_WORLD, 6);
    }
    result = ntk_theta_gather(session, 0, theta);
    if (result == NTK_RESULT_OK && rank == 0) {
        double sum = 0.0, sumsq = 0.0, trace = 0.0;
        for (int64_t i = 0; i < m; i++) {
            trace += theta[i * m + i];
            for (int64_t j = 0; j < m; j++) {
                sum += theta[i * m + j];
                sumsq += theta[i * m + j] * theta[i * m + j];
            }
        }
        printf("theta %lld sum %.17g sumsq %.17g trace %.17g\n", (long long)m, sum, sumsq, trace);
    }
    free(theta);

    double *values = malloc(sizeof(double) * (size_t)m);
    int64_t found = 0;
    if (result == NTK_RESULT_OK)
        result = ntk_eigenvalues(session, values, values ? m : 0, &found);
    if (result == NTK_RESULT_OK && rank == 0)
        printf("eigenvalues %lld largest %.17g smallest %.17g\n", (long long)found, values[0],
               values[found - 1]);
    free(values);
    if (result != NTK_RESULT_OK)
        fail(rank, "computing Theta", result);
    ntk_session_close(&session);
    return result;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0)
        printf("ntkgram %s\n", ntk_version());
    const int result = run(argc, argv, rank);
    MPI_Finalize();
    return result;
}
