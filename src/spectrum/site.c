/* Where the eigensolve runs (spectrum.h, ntk_solver_site): whether every
 * rank shares one node, and how much memory that node has free, for the
 * auto rule's single-node lapack path. */
#include "spectrum/spectrum.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* MemAvailable of this machine in bytes, 0 when unknown. */
static double node_available_bytes(void)
{
    FILE *file = fopen("/proc/meminfo", "r");
    if (file == NULL)
        return 0.0;
    char line[256];
    double kib = 0.0;
    while (fgets(line, sizeof line, file) != NULL)
        if (sscanf(line, "MemAvailable: %lf kB", &kib) == 1)
            break;
    fclose(file);
    return kib * 1024.0;
}

void spectrum_site_guess(int ranks, ntk_solver_site *site)
{
    memset(site, 0, sizeof *site);
    site->ranks = ranks;
    const char *nodes = getenv("SLURM_JOB_NUM_NODES");
    site->single_node = nodes == NULL || atoi(nodes) <= 1;
    site->node_free_bytes = node_available_bytes();
}

ntk_status spectrum_site_detect(MPI_Comm comm, ntk_solver_site *site)
{
    memset(site, 0, sizeof *site);
    MPI_Comm node = MPI_COMM_NULL;
    NTK_MPI(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node));
    int on_node = 0, size = 0;
    MPI_Comm_size(node, &on_node);
    MPI_Comm_free(&node);
    MPI_Comm_size(comm, &size);
    int local = on_node == size, all = 0;
    NTK_MPI(MPI_Allreduce(&local, &all, 1, MPI_INT, MPI_MIN, comm));
    double free_bytes = node_available_bytes(), smallest = 0.0;
    double known = free_bytes > 0.0 ? free_bytes : 1e300;
    NTK_MPI(MPI_Allreduce(&known, &smallest, 1, MPI_DOUBLE, MPI_MIN, comm));
    site->ranks = size;
    site->single_node = all;
    site->node_free_bytes = smallest >= 1e300 ? 0.0 : smallest;
    return NTK_OK;
}
