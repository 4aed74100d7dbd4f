/* How much memory a rank may use (see plan.h): the scheduler's limit when
 * the job runs under Slurm, else what this node has available, shared by the
 * ranks on it. Every rank gets the smallest value of all, so the fit check
 * that follows gives the same answer everywhere. */
#include "plan/plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/node_memory.h"

static const double MEBIBYTE = 1048576.0;

/* A positive number of megabytes from the environment, or 0. Slurm writes
 * plain megabytes (SLURM_MEM_PER_CPU=2048); a unit suffix is accepted too. */
static double plan_env_megabytes(const char *name)
{
    const char *text = getenv(name);
    if (text == NULL || *text == '\0')
        return 0.0;
    char *end = NULL;
    double value = strtod(text, &end);
    if (end == text || !(value > 0.0) || isinf(value)) /* also "nan" and "inf" */
        return 0.0;
    switch (*end) {
    case 'K': case 'k': value /= 1024.0; break;
    case 'G': case 'g': value *= 1024.0; break;
    case 'T': case 't': value *= 1024.0 * 1024.0; break;
    default: break;
    }
    return value;
}

ntk_status plan_memory_per_rank(MPI_Comm comm, double *bytes)
{
    /* Ranks sharing this node's memory (collective, so every rank does it). */
    int ranks_on_node = 1;
    NTK_TRY(node_ranks_sharing(comm, &ranks_on_node));

    double local = 0.0;
    double per_cpu = plan_env_megabytes("SLURM_MEM_PER_CPU");
    double per_node = plan_env_megabytes("SLURM_MEM_PER_NODE");
    if (per_cpu > 0.0) {
        const char *cpus_text = getenv("SLURM_CPUS_PER_TASK");
        int cpus = cpus_text != NULL ? atoi(cpus_text) : 1;
        local = per_cpu * MEBIBYTE * (cpus > 0 ? cpus : 1);
    } else if (per_node > 0.0) {
        local = per_node * MEBIBYTE / ranks_on_node;
    } else {
        local = node_available_bytes() / ranks_on_node;
    }
    /* 0 (unknown) must not win the minimum: it means "no limit known". */
    NTK_TRY(node_smallest_known(comm, local, bytes));
    return NTK_OK;
}
