/* ntk_bench_eigensolve THETA.npy SOLVER VECTORS TOP BLOCK [ROWS COLS [SROWS SCOLS SBLOCK]]
 *
 * One eigensolve of a written Theta through spectrum_solve, as a run does
 * it, on the ranks it is started with (automatic grid, or ROWS x COLS;
 * SROWS SCOLS SBLOCK set spectrum.grid and spectrum.block, 0 0 0 being
 * `assembly` and -1 -1 -1 `auto`): prints the wall time
 * of spectrum_solve, the part of it spent in the eigenpair check (and which
 * check ran, exact or probes, with its residual and orthogonality), the solver
 * detail, lambda_max, and the largest peak RSS over the ranks next to what
 * plan counts for the solve phase (local Theta + eigenvectors + solver
 * workspace + the 18 MiB baseline). Each rank reads the whole file and keeps
 * its block-cyclic part (Theta is symmetric, so row- or column-major is the
 * same). With NTK_BENCH_LOG set (mpirun -x NTK_BENCH_LOG), rank 0 also logs
 * what a run logs, e.g. the lapack path's gather / solve / scatter times.
 * For bench/eigensolve. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "core/log.h"
#include "format/npy.h"
#include "grid/grid.h"
#include "job/job.h"
#include "spectrum/spectrum.h"

static ntk_solver solver_named(const char *name)
{
    for (int s = NTK_SOLVER_AUTO; s <= NTK_SOLVER_LAPACK; ++s)
        if (strcmp(spectrum_solver_name((ntk_solver)s), name) == 0)
            return (ntk_solver)s;
    return NTK_SOLVER_NONE;
}

static int load(const char *path, const ntk_grid *grid, ntk_dmatrix *theta)
{
    npy_header header;
    if (npy_read_header(path, &header) != NTK_OK || header.ndim != 2 ||
        header.shape[0] != header.shape[1] || header.dtype != NPY_FLOAT64 || header.swap_bytes)
        return 1;
    const int64_t n = header.shape[0];
    if (dmatrix_create(grid, n, n, theta) != NTK_OK)
        return 1;
    FILE *file = fopen(path, "rb");
    double *row = malloc(sizeof(double) * (size_t)n);
    if (file == NULL || row == NULL || fseek(file, header.data_offset, SEEK_SET) != 0)
        return 1;
    const int64_t lld = theta->desc[8];
    for (int64_t i = 0; i < n; ++i) { /* row i of the file is column i of Theta */
        if (fread(row, sizeof(double), (size_t)n, file) != (size_t)n)
            return 1;
        if (grid_owner(i, grid->block, grid->cols) != grid->mycol)
            continue;
        const int64_t lc = (i / ((int64_t)grid->block * grid->cols)) * grid->block + i % grid->block;
        for (int64_t lr = 0; lr < theta->local_rows; ++lr)
            theta->data[lr + lc * lld] =
                row[grid_global_index(lr, grid->block, grid->myrow, grid->rows)];
    }
    free(row);
    fclose(file);
    return 0;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if ((argc != 6 && argc != 8 && argc != 11) || solver_named(argv[2]) == NTK_SOLVER_NONE) {
        if (rank == 0)
            fprintf(stderr, "usage: ntk_bench_eigensolve THETA.npy SOLVER VECTORS TOP BLOCK "
                            "[ROWS COLS [SROWS SCOLS SBLOCK]]\n");
        MPI_Finalize();
        return 2;
    }
    ntk_log_init(rank, getenv("NTK_BENCH_LOG") == NULL);
    ntk_spectrum_spec spec = {.solver = solver_named(argv[2]), .vectors = atoi(argv[3]),
                              .top = atoll(argv[4])};
    int rows = 0, cols = 0;
    grid_auto_shape(size, &rows, &cols);
    if (argc >= 8) {
        rows = atoi(argv[6]);
        cols = atoi(argv[7]);
    }
    if (argc == 11) {
        spec.solve_rows = atoi(argv[8]);
        spec.solve_cols = atoi(argv[9]);
        spec.solve_block = atoi(argv[10]);
    }
    npy_header header;
    if (npy_read_header(argv[1], &header) != NTK_OK) {
        fprintf(stderr, "%s\n", ntk_error_message());
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    ntk_grid grid;
    const int block = grid_effective_block(atoi(argv[5]), header.shape[0]);
    ntk_dmatrix theta;
    if (grid_create(MPI_COMM_WORLD, block, rows, cols, &grid) != NTK_OK ||
        load(argv[1], &grid, &theta) != 0) {
        fprintf(stderr, "cannot set up the grid or read %s\n", argv[1]);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    const int64_t n = theta.rows;
    ntk_spectrum_workspace ws;
    spectrum_workspace(&spec, n, rows, cols, block, &ws);
    const double planned = (double)theta.local_rows * theta.local_cols * 8.0 +
                           spectrum_vector_bytes(&ws) + spectrum_workspace_bytes(&ws, n) +
                           18.0 * 1048576.0;
    struct rusage before;
    getrusage(RUSAGE_SELF, &before);
    double before_peak = (double)before.ru_maxrss * 1024.0, largest_before = 0.0;
    MPI_Reduce(&before_peak, &largest_before, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    MPI_Barrier(MPI_COMM_WORLD);
    const double start = MPI_Wtime();
    ntk_spectrum spectrum;
    ntk_status status = spectrum_solve(&spec, &grid, &theta, &spectrum);
    const double seconds = MPI_Wtime() - start;
    if (status != NTK_OK) {
        fprintf(stderr, "%s\n", ntk_error_message());
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    double peak = (double)usage.ru_maxrss * 1024.0, largest = 0.0;
    MPI_Reduce(&peak, &largest, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    for (char *c = spectrum.solver_detail; *c != '\0'; ++c)
        if (*c == ' ')
            *c = '_'; /* one word per value for bench/eigensolve's parser */
    if (rank == 0)
        printf("solver %s\ndetail %s\nsolve_seconds %.3f\ncheck_seconds %.3f\ncheck %s\n"
               "check_probes %d\nmax_relative_residual %.3e\nmax_orthogonality_error %.3e\n"
               "lambda_max %.15g\nrss_before_solve_mib %.1f\npeak_rss_mib %.1f\nplanned_mib %.1f\n"
               "solve_layout %dx%d/%d\nredistribute_seconds %.3f\n",
               spectrum.solver, spectrum.solver_detail, seconds, spectrum.check_seconds,
               spectrum.check.method ? spectrum.check.method : "none", spectrum.check.probes,
               spectrum.max_relative_residual, spectrum.check.orthogonality,
               spectrum.values[0], largest_before / 1048576.0, largest / 1048576.0,
               planned / 1048576.0, spectrum.solve_rows, spectrum.solve_cols,
               spectrum.solve_block, spectrum.redistribute_seconds);
    spectrum_free(&spectrum);
    dmatrix_destroy(&theta);
    grid_destroy(&grid);
    MPI_Finalize();
    return 0;
}
