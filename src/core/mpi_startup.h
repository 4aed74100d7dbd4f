/* Open MPI's messaging layer for a run on one node, chosen before MPI_Init.
 *
 * Open MPI's MPI_Init opens every point-to-point messaging layer (PML) it was
 * built with and lets each probe its hardware: the cm layer loads the
 * libfabric, PSM and PSM2 libraries, which on a node without Omni-Path or
 * libfabric networks find nothing and still take a fifth of a second of every
 * process start (docs/performance.md, "Start-up"). On one node the layer
 * Open MPI ends up choosing is ob1 with its shared-memory transport, so
 * naming ob1 up front skips the probes and changes nothing else.
 *
 * The rule (mpi_startup_pml): ob1 when the job runs on one node, as far as
 * the launcher's environment tells (Open MPI's mpirun: the world's size
 * equals the node's; srun: a one-node step; no launcher: a single process),
 * and the user has not chosen a PML or MTL themselves (OMPI_MCA_pml,
 * OMPI_MCA_mtl, which `mpirun --mca pml X` also sets). Jobs across nodes, and
 * launches the environment does not describe, are left to Open MPI. */
#ifndef NTK_CORE_MPI_STARTUP_H
#define NTK_CORE_MPI_STARTUP_H

/* An environment: the value of `name`, or NULL when unset (getenv). */
typedef const char *(*ntk_env_lookup)(const char *name);

/* The PML the rule names for the environment `lookup` reads ("ob1"), or
 * NULL to leave the choice to Open MPI. Pure: reads only through `lookup`. */
const char *mpi_startup_pml(ntk_env_lookup lookup);

/* Before MPI_Init: sets OMPI_MCA_pml to mpi_startup_pml(getenv) when it
 * names one. Returns the PML set, or NULL. */
const char *mpi_startup_apply(void);

/* What mpi_startup_apply set in this process (NULL when nothing), for
 * summary.yaml. */
const char *mpi_startup_chosen_pml(void);

#endif
