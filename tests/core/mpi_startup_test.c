/* core/mpi_startup: the rule that names Open MPI's ob1 messaging layer before
 * MPI_Init, on made-up environments (each a list of NAME=VALUE). */
#include <stddef.h>
#include <string.h>

#include "check.h"
#include "core/mpi_startup.h"

/* The environment the lookup reads: NULL-terminated "NAME=VALUE" strings. */
static const char *const *current;

static const char *lookup(const char *name)
{
    const size_t length = strlen(name);
    for (const char *const *entry = current; *entry != NULL; ++entry)
        if (strncmp(*entry, name, length) == 0 && (*entry)[length] == '=')
            return *entry + length + 1;
    return NULL;
}

/* The rule's answer for `environment`: "ob1" or "none". */
static const char *rule(const char *const *environment)
{
    current = environment;
    const char *pml = mpi_startup_pml(lookup);
    return pml != NULL ? pml : "none";
}

static void expect(const char *const *environment, const char *wanted, const char *what)
{
    const char *got = rule(environment);
    CHECK(strcmp(got, wanted) == 0, "%s: %s, expected %s", what, got, wanted);
}

int main(void)
{
    const char *const single[] = {"HOME=/root", NULL};
    expect(single, "ob1", "no launcher: a single process");

    const char *const mpirun_one[] = {"OMPI_COMM_WORLD_SIZE=8", "OMPI_COMM_WORLD_LOCAL_SIZE=8",
                                      NULL};
    expect(mpirun_one, "ob1", "mpirun, every rank on this node");
    const char *const mpirun_two[] = {"OMPI_COMM_WORLD_SIZE=8", "OMPI_COMM_WORLD_LOCAL_SIZE=4",
                                      NULL};
    expect(mpirun_two, "none", "mpirun over two nodes");
    const char *const mpirun_partial[] = {"OMPI_COMM_WORLD_SIZE=8", NULL};
    expect(mpirun_partial, "none", "mpirun without the local size");

    const char *const srun_one[] = {"SLURM_PROCID=3", "SLURM_STEP_NUM_NODES=1", NULL};
    expect(srun_one, "ob1", "srun, a one-node step");
    const char *const srun_many[] = {"SLURM_PROCID=3", "SLURM_STEP_NUM_NODES=2", NULL};
    expect(srun_many, "none", "srun over two nodes");
    const char *const batch[] = {"SLURM_PROCID=0", "SLURM_NNODES=4", NULL};
    expect(batch, "none", "a batch script's own process, nodes unknown");
    const char *const mpirun_in_batch[] = {"SLURM_PROCID=0", "SLURM_NNODES=2",
                                           "OMPI_COMM_WORLD_SIZE=2",
                                           "OMPI_COMM_WORLD_LOCAL_SIZE=2", NULL};
    expect(mpirun_in_batch, "ob1", "mpirun's ranks on one node of a batch job");

    const char *const pmix[] = {"PMIX_RANK=0", NULL};
    expect(pmix, "none", "another launcher through PMIx");
    const char *const pmi[] = {"PMI_RANK=0", NULL};
    expect(pmi, "none", "another launcher through PMI");

    /* The user's choice wins, from the environment or mpirun --mca. */
    const char *const chosen_pml[] = {"OMPI_COMM_WORLD_SIZE=2", "OMPI_COMM_WORLD_LOCAL_SIZE=2",
                                      "OMPI_MCA_pml=ucx", NULL};
    expect(chosen_pml, "none", "OMPI_MCA_pml set");
    const char *const chosen_mtl[] = {"OMPI_MCA_mtl=psm2", NULL};
    expect(chosen_mtl, "none", "OMPI_MCA_mtl set");
    const char *const empty_pml[] = {"OMPI_MCA_pml=", NULL};
    expect(empty_pml, "ob1", "an empty OMPI_MCA_pml is no choice");

    /* Nothing applied yet in this process. */
    CHECK(mpi_startup_chosen_pml() == NULL, "chosen before apply");
    if (failures == 0)
        printf("core_mpi_startup: %d checks passed\n", checks);
    return failures != 0;
}
