/* Sums of double arrays over a communicator of any length: MPI counts are
 * ints, so an array of 2^31 doubles or more (a J^T V of many parameters, a
 * projection of many modes x outputs) is reduced in slices. */
#ifndef NTK_CORE_MPI_SUM_H
#define NTK_CORE_MPI_SUM_H

#include <stdint.h>

#include <mpi.h>

#include "core/status.h"

/* recv[i] = the sum over the ranks of send[i], i < count; send NULL sums
 * recv in place. Every rank calls it with the same count. */
ntk_status ntk_allreduce_sum(const double *send, double *recv, int64_t count, MPI_Comm comm);

#endif
