/* ntkgram: command-line front end. Initialises MPI, dispatches to a
 * subcommand, and turns its status into the exit code. */
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#include "core/signals.h"
#include "cli/commands.h"
#include "core/log.h"
#include "core/mpi_startup.h"
#include "output/file_names.h"
#include "version.h"

static const char usage_text[] =
    "ntkgram " NTK_VERSION " - empirical Neural Tangent Kernel Gram matrices and their training modes\n"
    "\n"
    "Usage:\n"
    "  ntkgram run JOB.yaml [--set key.path=value]... [--out DIR] [--point I] [--piece I/K]\n"
    "              [--no-sweep] [--quiet] [--verbose]\n"
    "  ntkgram validate JOB.yaml [--set key.path=value]...\n"
    "  ntkgram plan JOB.yaml [--ranks P] [--mem-per-rank SIZE] [--format yaml] [--set ...]\n"
    "  ntkgram help keys [--format markdown]\n"
    "  ntkgram --help | --version\n"
    "\n"
    "Run under MPI (mpirun -n 8 ntkgram run job.yaml, or srun), or as a single process.\n"
    "\n"
    "Commands:\n"
    "  run       compute Theta, its eigendecomposition and the training modes; write the\n"
    "            outputs (" OUTPUT_FILE_THETA ", " OUTPUT_FILE_EIGENVALUES ", "
    OUTPUT_FILE_EIGENVECTORS ", " OUTPUT_FILE_MODES ",\n"
    "            " OUTPUT_FILE_SUMMARY ", " OUTPUT_FILE_SPECTRUM_SVG ") into output.dir\n"
    "  validate  check the job file and its data files without computing\n"
    "  plan      print sizes, grid, memory per rank and flops per phase without computing\n"
    "\n"
    "Options:\n"
    "  --set key.path=value   override a job key, e.g. --set model.layers[0].dense=1024\n"
    "                         --set grid.shape=[2,4] --set output.theta=true (repeatable)\n"
    "  --out DIR              write outputs to DIR (same as --set output.dir=DIR)\n"
    "  --point I              run only point I of a sweep (for Slurm job arrays)\n"
    "  --piece I/K            run: compute only piece I of K (0 <= I < K) of Theta's tiles\n"
    "                         (kernel.kind analytic) into checkpoint.dir and exit 0; a run\n"
    "                         without --piece on the same grid combines the pieces, bit for\n"
    "                         bit the Theta of one run (job arrays: slurm/submit --pieces K)\n"
    "  --no-sweep             run the job once, without its sweep (= --set sweep={})\n"
    "  --quiet                log errors and warnings only\n"
    "  --verbose              add the source trace to error messages\n"
    "  --ranks P              plan: plan for P ranks (default: the ranks it runs on)\n"
    "  --mem-per-rank SIZE    plan: memory per rank, e.g. 4G; prints the fewest ranks that fit\n"
    "  --format yaml          plan: machine-readable output\n"
    "\n"
    "Environment: OPENBLAS_NUM_THREADS=1 when the ranks fill the cores. OpenBLAS picks its\n"
    "  kernels from the CPU model; on a CPU newer than the library it falls back to SSE\n"
    "  ones (run warns, plan shows the 'blas' line): OPENBLAS_CORETYPE=SkylakeX (AVX-512)\n"
    "  or Haswell (AVX2) in the ranks' environment selects faster ones.\n"
    "\n"
    "Exit codes: 0 ok, 2 usage, 3 job file, 4 data, 5 output I/O, 6 memory, 7 MPI/grid,\n"
    "            8 numerical, 9 stopped by SIGUSR1/SIGTERM/SIGINT (rerun: it resumes from the\n"
    "            checkpoint when one was written), 10 internal.\n"
    "The job file keys, their types and defaults: ntkgram help keys (and the README).\n";

int main(int argc, char **argv)
{
    /* Before MPI_Init: a stop signal at any time from here on is a flag read
     * at the next safe point, never the default action (which would kill the
     * rank without a message). */
    ntk_status signals = checkpoint_signals_install();
    /* On one node, Open MPI's ob1 messaging layer without probing network
     * libraries that are not there (core/mpi_startup.h). */
    mpi_startup_apply();
    int provided = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    /* Errors come back as return codes that NTK_MPI turns into messages,
     * instead of aborting inside the library. Communicators created from
     * MPI_COMM_WORLD inherit it. */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    ntk_log_init(rank, 0);
    if (signals != NTK_OK) {
        if (rank == 0)
            ntk_error_print(0);
        MPI_Finalize();
        return ntk_exit_code(signals);
    }

    int code = 0;
    const char *command = argc > 1 ? argv[1] : "";
    if (strcmp(command, "help") == 0 && argc > 2 && strcmp(argv[2], "keys") == 0) {
        code = cmd_help_keys(argc - 3, argv + 3);
    } else if (argc < 2 || strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0 ||
               strcmp(command, "help") == 0) {
        if (rank == 0)
            fputs(usage_text, argc < 2 ? stderr : stdout);
        code = argc < 2 ? 2 : 0;
    } else if (strcmp(command, "--version") == 0) {
        if (rank == 0)
            printf("ntkgram %s\n", NTK_VERSION);
    } else if (strcmp(command, "run") == 0) {
        code = cmd_run(argc - 2, argv + 2);
    } else if (strcmp(command, "validate") == 0) {
        code = cmd_validate(argc - 2, argv + 2);
    } else if (strcmp(command, "plan") == 0) {
        code = cmd_plan(argc - 2, argv + 2);
    } else {
        if (rank == 0)
            fprintf(stderr, "ntkgram: error: unknown command '%s' (expected run, validate, plan; see ntkgram --help)\n",
                    command);
        code = 2;
    }
    MPI_Finalize();
    return code;
}
