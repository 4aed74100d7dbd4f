/* Sliced MPI sums (see mpi_sum.h). */
#include "core/mpi_sum.h"

enum { MPI_SUM_SLICE = 1 << 28 }; /* doubles per MPI_Allreduce, well inside an int count */

ntk_status ntk_allreduce_sum(const double *send, double *recv, int64_t count, MPI_Comm comm)
{
    for (int64_t start = 0; start < count; start += MPI_SUM_SLICE) {
        const int n = (int)(count - start < MPI_SUM_SLICE ? count - start : MPI_SUM_SLICE);
        NTK_MPI(MPI_Allreduce(send != NULL ? (const void *)(send + start) : MPI_IN_PLACE,
                              recv + start, n, MPI_DOUBLE, MPI_SUM, comm));
    }
    return NTK_OK;
}
