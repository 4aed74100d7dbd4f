/* Reference measurements for bench/run: what this machine's BLAS and LAPACK
 * do on comparable work, measured in the same run as ntkgram.
 *
 *   mpirun -n P ntk_bench_reference dgemm M N K REPEATS
 *       every rank runs C = A B^T (M x K times K x N) at the same time, as the
 *       assembly does; prints OpenBLAS's kernels and the aggregate GFLOP/s of
 *       all ranks
 *   ntk_bench_reference dsyevd THETA.npy
 *       LAPACK dsyevd (eigenvalues and vectors) of the matrix in the file, on
 *       the cores OpenBLAS is allowed (OPENBLAS_NUM_THREADS); prints seconds
 */
#include <cblas.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/blas_kernels.h"
#include "core/lapack.h"
#include "format/npy.h"

/* CPU seconds this process has used, all its threads. */
static double process_cpu_seconds(void)
{
    struct timespec now;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now) != 0)
        return 0.0;
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

static int bench_dgemm(int m, int n, int k, int repeats)
{
    int rank = 0, ranks = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    double *a = malloc(sizeof(double) * (size_t)m * k);
    double *b = malloc(sizeof(double) * (size_t)n * k);
    double *c = malloc(sizeof(double) * (size_t)m * n);
    if (!a || !b || !c) {
        fprintf(stderr, "dgemm: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < (size_t)m * k; ++i)
        a[i] = (double)((i * 7919) % 1000) / 1000.0 - 0.5;
    for (size_t i = 0; i < (size_t)n * k; ++i)
        b[i] = (double)((i * 104729) % 1000) / 1000.0 - 0.5;
    memset(c, 0, sizeof(double) * (size_t)m * n);
    /* One untimed call warms caches and BLAS buffers. */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0, a, k, b, k, 0.0, c, n);
    MPI_Barrier(MPI_COMM_WORLD);
    double start = MPI_Wtime(), cpu_start = process_cpu_seconds();
    for (int r = 0; r < repeats; ++r)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0, a, k, b, k, 1.0, c, n);
    double seconds = MPI_Wtime() - start, slowest = 0.0;
    double cpu = process_cpu_seconds() - cpu_start, cpu_sum = 0.0;
    MPI_Reduce(&seconds, &slowest, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    MPI_Reduce(&cpu, &cpu_sum, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
    ntk_blas_kernels kernels;
    ntk_blas_kernels_detect(&kernels);
    if (rank == 0)
        printf("kernels %s\n", kernels.kernels);
    if (rank == 0)
        printf("dgemm_gflops %.3f\n", 2.0 * m * n * (double)k * repeats * ranks / slowest * 1e-9);
    /* per CPU second of the ranks: on a shared machine, the rate of a core
     * while it runs, whatever else waits for it */
    if (rank == 0)
        printf("dgemm_gflops_per_cpu_second %.3f\n",
               2.0 * m * n * (double)k * repeats * ranks / cpu_sum * 1e-9);
    free(a);
    free(b);
    free(c);
    return 0;
}

static int bench_dsyevd(const char *path)
{
    npy_header header;
    if (npy_read_header(path, &header) != NTK_OK) {
        fprintf(stderr, "%s\n", ntk_error_message());
        return 1;
    }
    if (header.ndim != 2 || header.shape[0] != header.shape[1] || header.dtype != NPY_FLOAT64 ||
        header.swap_bytes) {
        fprintf(stderr, "%s: need a square little-endian float64 matrix\n", path);
        return 1;
    }
    int n = (int)header.shape[0];
    size_t count = (size_t)n * n;
    double *a = malloc(sizeof(double) * count), *w = malloc(sizeof(double) * n);
    FILE *file = fopen(path, "rb");
    if (!a || !w || !file || fseek(file, header.data_offset, SEEK_SET) != 0 ||
        fread(a, sizeof(double), count, file) != count) {
        fprintf(stderr, "%s: cannot read the matrix\n", path);
        return 1;
    }
    fclose(file);
    int lwork = -1, liwork = -1, info = 0, iwork_query = 0;
    double work_query = 0.0;
    dsyevd_("V", "L", &n, a, &n, w, &work_query, &lwork, &iwork_query, &liwork, &info, 1, 1);
    lwork = (int)work_query + 1;
    liwork = iwork_query;
    double *work = malloc(sizeof(double) * (size_t)lwork);
    int *iwork = malloc(sizeof(int) * (size_t)liwork);
    double start = MPI_Wtime();
    dsyevd_("V", "L", &n, a, &n, w, work, &lwork, iwork, &liwork, &info, 1, 1);
    double seconds = MPI_Wtime() - start;
    if (info != 0) {
        fprintf(stderr, "dsyevd failed: info %d\n", info);
        return 1;
    }
    printf("dsyevd_seconds %.4f\nlambda_max %.12g\n", seconds, w[n - 1]);
    free(a);
    free(w);
    free(work);
    free(iwork);
    return 0;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int code = 2;
    if (argc == 6 && strcmp(argv[1], "dgemm") == 0)
        code = bench_dgemm(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
    else if (argc == 3 && strcmp(argv[1], "dsyevd") == 0)
        code = bench_dsyevd(argv[2]);
    else
        fprintf(stderr, "usage: ntk_bench_reference dgemm M N K REPEATS | dsyevd THETA.npy\n");
    MPI_Finalize();
    return code;
}
