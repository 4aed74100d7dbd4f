/* ntkgram help keys: every job key with its type, default and doc, from the
 * modules' key tables (job/job_keys.h); --format markdown writes docs/keys.md. */
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "job/job_keys.h"

int cmd_help_keys(int argc, char **argv)
{
    int markdown = 0;
    if (argc == 2 && strcmp(argv[0], "--format") == 0 && strcmp(argv[1], "markdown") == 0) {
        markdown = 1;
    } else if (argc != 0) {
        fputs("ntkgram: error: usage: ntkgram help keys [--format markdown]\n", stderr);
        return 2;
    }
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0)
        job_print_keys(stdout, markdown);
    return 0;
}
