/* The sanitizer lane's own check (test sanitizer_reports_leaks): an MPI
 * program that, given "leak", loses a block allocated in a function of its
 * own and, given "clean", frees everything. Run on 2 ranks with the lane's
 * settings, the leak must be reported with this file's frame and the clean
 * run must pass: together they show the suppressions hide the MPI stack and
 * nothing of ours. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Not static and not inlined, so the report names it. */
__attribute__((noinline)) char *leak_probe_allocate(size_t bytes);

__attribute__((noinline)) char *leak_probe_allocate(size_t bytes)
{
    char *block = malloc(bytes);
    if (block)
        memset(block, 1, bytes);
    return block;
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "leak") != 0 && strcmp(argv[1], "clean") != 0)) {
        fprintf(stderr, "usage: leak_probe leak|clean\n");
        return 2;
    }
    MPI_Init(&argc, &argv);
    char *block = leak_probe_allocate(4096);
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    int sum = 0, mine = block ? block[rank] : 0;
    MPI_Allreduce(&mine, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (strcmp(argv[1], "clean") == 0)
        free(block);
    block = NULL;
    MPI_Finalize();
    return sum > 0 ? 0 : 1;
}
