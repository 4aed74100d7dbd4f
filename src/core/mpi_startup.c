/* Open MPI's messaging layer for a run on one node (mpi_startup.h). */
#include "core/mpi_startup.h"

#include <stdlib.h>
#include <string.h>

static const char *chosen_pml;

static int is_set(ntk_env_lookup lookup, const char *name)
{
    const char *value = lookup(name);
    return value != NULL && value[0] != '\0';
}

static int equal_values(ntk_env_lookup lookup, const char *a, const char *b)
{
    return is_set(lookup, a) && is_set(lookup, b) && strcmp(lookup(a), lookup(b)) == 0;
}

/* Does the launcher's environment say that every rank is on this node? */
static int on_one_node(ntk_env_lookup lookup)
{
    /* Open MPI's mpirun sets both for every rank it starts. */
    if (is_set(lookup, "OMPI_COMM_WORLD_SIZE"))
        return equal_values(lookup, "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_SIZE");
    /* srun's tasks: the step's node count. */
    if (is_set(lookup, "SLURM_PROCID")) {
        const char *nodes = lookup("SLURM_STEP_NUM_NODES");
        return nodes != NULL && strcmp(nodes, "1") == 0;
    }
    /* Any other launcher through PMI or PMIx: unknown, so not assumed. */
    if (is_set(lookup, "PMIX_RANK") || is_set(lookup, "PMI_RANK"))
        return 0;
    return 1; /* no launcher: a single process */
}

const char *mpi_startup_pml(ntk_env_lookup lookup)
{
    if (is_set(lookup, "OMPI_MCA_pml") || is_set(lookup, "OMPI_MCA_mtl"))
        return NULL;
    return on_one_node(lookup) ? "ob1" : NULL;
}

static const char *environment(const char *name) { return getenv(name); }

const char *mpi_startup_apply(void)
{
    const char *pml = mpi_startup_pml(environment);
    if (pml != NULL && setenv("OMPI_MCA_pml", pml, 0) == 0)
        chosen_pml = pml;
    return chosen_pml;
}

const char *mpi_startup_chosen_pml(void) { return chosen_pml; }
