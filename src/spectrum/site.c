/* Where the eigensolve runs (spectrum.h, ntk_solver_site): whether every
 * rank shares one node, and how much memory that node has free, for the
 * auto rule's single-node lapack path. */
#include "spectrum/spectrum.h"

#include <stdlib.h>
#include <string.h>

#include "core/node_memory.h"

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
    int on_node = 0, size = 0;
    NTK_TRY(node_ranks_sharing(comm, &on_node));
    MPI_Comm_size(comm, &size);
    int local = on_node == size, all = 0;
    NTK_MPI(MPI_Allreduce(&local, &all, 1, MPI_INT, MPI_MIN, comm));
    double smallest = 0.0;
    NTK_TRY(node_smallest_known(comm, node_available_bytes(), &smallest));
    site->ranks = size;
    site->single_node = all;
    site->node_free_bytes = smallest;
    return NTK_OK;
}

ntk_status spectrum_site_within(MPI_Comm comm, const ntk_solve_budget *budget,
                                ntk_solver_site *site)
{
    NTK_TRY(spectrum_site_detect(comm, site));
    if (budget != NULL) {
        site->bytes_per_rank = budget->bytes_per_rank;
        site->bytes_besides_solver = budget->bytes_besides_solver;
    }
    return NTK_OK;
}
