/* Node memory and the ranks sharing it (see node_memory.h). */
#include "core/node_memory.h"

#include <stdio.h>

double node_available_bytes(void)
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

ntk_status node_ranks_sharing(MPI_Comm comm, int *ranks)
{
    MPI_Comm node = MPI_COMM_NULL;
    NTK_MPI(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node));
    *ranks = 1;
    MPI_Comm_size(node, ranks);
    MPI_Comm_free(&node);
    return NTK_OK;
}

ntk_status node_smallest_known(MPI_Comm comm, double local, double *smallest)
{
    double known = local > 0.0 ? local : 1e300, least = 0.0;
    NTK_MPI(MPI_Allreduce(&known, &least, 1, MPI_DOUBLE, MPI_MIN, comm));
    *smallest = least >= 1e300 ? 0.0 : least;
    return NTK_OK;
}
