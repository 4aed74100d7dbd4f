/* What this node offers the ranks on it: how many share its memory, and how
 * much of that memory is free. One owner for what plan (the per-rank memory
 * limit) and spectrum (where the eigensolve runs) both need. */
#ifndef NTK_CORE_NODE_MEMORY_H
#define NTK_CORE_NODE_MEMORY_H

#include <mpi.h>

#include "core/status.h"

/* MemAvailable of /proc/meminfo in bytes, 0 when it cannot be read. Rank-local. */
double node_available_bytes(void);

/* The ranks of `comm` sharing this rank's node memory. Collective. */
ntk_status node_ranks_sharing(MPI_Comm comm, int *ranks);

/* The smallest positive `local` over the ranks of `comm`, 0 when no rank
 * knows one (0 means "unknown" and must not win the minimum). Collective. */
ntk_status node_smallest_known(MPI_Comm comm, double local, double *smallest);

#endif
