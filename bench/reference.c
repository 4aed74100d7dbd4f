/* Reference measurements for bench/run: what this machine's BLAS and LAPACK
 * do on comparable work, measured in the same run as ntkgram.
 *
 *   mpirun -n P ntk_bench_reference dgemm M N K REPEATS
 *       every rank runs C = A B^T (M x K times K x N) at the same time, as the
 *       assembly does; prints OpenBLAS's kernels and the aggregate GFLOP/s of
 *       all ranks
 *   mpirun -n P ntk_bench_reference sgemm M N K REPEATS
 *       the same in float32 (OpenBLAS's SGEMM); all three modes also print
 *       the rate per rank by the slowest rank's CPU seconds (steadier than
 *       the wall time on a shared machine)
 *   mpirun -n P ntk_bench_reference fixed_sgemm M N K REPEATS
 *       the same product by core/fixed_sgemm.h (kernel.precision float32's
 *       and mixed's tiles), without accumulating into C
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
#include "core/fixed_sgemm.h"
#include "core/lapack.h"
#include "format/npy.h"

/* This process's CPU seconds (user and system). */
static double cpu_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

/* The product measured: float64, float32 (OpenBLAS) or the fixed-order
 * float32 one. */
enum { DOUBLE, SINGLE, FIXED_SINGLE };

/* One GEMM, C(m x n) = A(m x k) B(n x k)^T + beta C (the fixed-order one
 * overwrites C: it has no beta). */
static void gemm(int single, int m, int n, int k, const void *a, const void *b, double beta,
                 void *c)
{
    if (single == FIXED_SINGLE) /* row-major C = C^T column-major: B's rows first */
        ntk_fixed_sgemm_tn(n, m, k, b, k, a, k, c, n);
    else if (single)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, k, b, k,
                    (float)beta, c, n);
    else
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0, a, k, b, k, beta, c,
                    n);
}

/* Deterministic values in [-0.5, 0.5), the same for both precisions. */
static void fill(int single, void *x, size_t count, size_t stride)
{
    for (size_t i = 0; i < count; ++i) {
        const double value = (double)((i * stride) % 1000) / 1000.0 - 0.5;
        if (single)
            ((float *)x)[i] = (float)value;
        else
            ((double *)x)[i] = value;
    }
}

/* The same-run GEMM rate the benchmarks divide by: DGEMM (also naming the
 * BLAS kernels), SGEMM, or the fixed-order SGEMM (naming its kernel). */
static int bench_gemm(int single, int m, int n, int k, int repeats)
{
    const char *name = single == FIXED_SINGLE ? "fixed_sgemm" : single ? "sgemm" : "dgemm";
    const size_t size = single ? sizeof(float) : sizeof(double);
    int rank = 0, ranks = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    /* 64-byte aligned as ntkgram's blocks are (core/memory.c): the
     * fixed-order SGEMM's loads run at two thirds speed 16 bytes off */
    void *a = NULL, *b = NULL, *c = NULL;
    if (posix_memalign(&a, 64, size * (size_t)m * k) != 0 ||
        posix_memalign(&b, 64, size * (size_t)n * k) != 0 ||
        posix_memalign(&c, 64, size * (size_t)m * n) != 0) {
        fprintf(stderr, "%s: out of memory\n", name);
        return 1;
    }
    memset(c, 0, size * (size_t)m * n);
    fill(single, a, (size_t)m * k, 7919);
    fill(single, b, (size_t)n * k, 104729);
    /* One untimed call warms caches and BLAS buffers. */
    gemm(single, m, n, k, a, b, 0.0, c);
    MPI_Barrier(MPI_COMM_WORLD);
    double start = MPI_Wtime(), cpu_start = cpu_seconds();
    for (int r = 0; r < repeats; ++r)
        gemm(single, m, n, k, a, b, 1.0, c);
    double seconds = MPI_Wtime() - start, slowest = 0.0;
    double cpu = cpu_seconds() - cpu_start, slowest_cpu = 0.0, cpu_sum = 0.0;
    MPI_Reduce(&seconds, &slowest, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    MPI_Reduce(&cpu, &slowest_cpu, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    MPI_Reduce(&cpu, &cpu_sum, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
    if (single == FIXED_SINGLE && rank == 0)
        printf("fixed_sgemm_kernel %s\n", ntk_fixed_sgemm_kernel());
    if (single == DOUBLE) {
        ntk_blas_kernels kernels;
        ntk_blas_kernels_detect(&kernels);
        if (rank == 0)
            printf("kernels %s\n", kernels.kernels);
    }
    /* Per CPU second too: on a shared machine, the rate of a core while it
     * runs, whatever else waits for it (slowest rank; and all ranks' sum). */
    const double flops = 2.0 * m * n * (double)k * repeats;
    if (rank == 0)
        printf("%s_gflops %.3f\n%s_cpu_gflops_per_rank %.3f\n%s_gflops_per_cpu_second %.3f\n",
               name, flops * ranks / slowest * 1e-9, name, flops / slowest_cpu * 1e-9, name,
               flops * ranks / cpu_sum * 1e-9);
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
        code = bench_gemm(DOUBLE, atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
    else if (argc == 6 && strcmp(argv[1], "sgemm") == 0)
        code = bench_gemm(SINGLE, atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
    else if (argc == 6 && strcmp(argv[1], "fixed_sgemm") == 0)
        code = bench_gemm(FIXED_SINGLE, atoi(argv[2]), atoi(argv[3]), atoi(argv[4]),
                          atoi(argv[5]));
    else if (argc == 3 && strcmp(argv[1], "dsyevd") == 0)
        code = bench_dsyevd(argv[2]);
    else
        fprintf(stderr, "usage: ntk_bench_reference dgemm|sgemm|fixed_sgemm M N K REPEATS | dsyevd THETA.npy\n");
    MPI_Finalize();
    return code;
}
