/* Block-cyclic index arithmetic in 64 bits (ScaLAPACK's numroc and indxl2g
 * take 32-bit integers and overflow for the element counts of large
 * matrices), and the contiguous own-block split for rank-local work. */
#include "grid/grid.h"

void grid_own_block(int64_t n, int parts, int part, int64_t *first, int64_t *count)
{
    const int64_t base = n / parts;
    const int64_t extra = n % parts;
    *count = base + (part < extra ? 1 : 0);
    *first = (int64_t)part * base + (part < extra ? part : extra);
}

int64_t grid_local_count(int64_t n, int block, int proc, int nprocs)
{
    const int64_t full_blocks = n / block;
    int64_t count = (full_blocks / nprocs) * block;
    const int64_t leftover_blocks = full_blocks % nprocs;
    if (proc < leftover_blocks)
        count += block;
    else if (proc == leftover_blocks)
        count += n % block; /* the last, partial block */
    return count;
}

int64_t grid_global_index(int64_t local, int block, int proc, int nprocs)
{
    const int64_t local_block = local / block;
    return (local_block * nprocs + proc) * block + local % block;
}
