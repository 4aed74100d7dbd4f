/* Checked allocation for everything ntkgram holds: zeroed (ntk_calloc), or
 * left as the system gives it where the caller writes before it reads
 * (ntk_alloc_unzeroed).
 *
 * Large blocks (Theta's local part, feature sets, eigenvectors, solver
 * workspace) are aligned to 2 MiB and marked for transparent huge pages.
 * First-touch page faults are what fresh memory really costs, and far less
 * with huge pages (docs/design.md, "Fresh memory and huge pages", has the
 * measurements). */
#ifndef NTK_CORE_MEMORY_H
#define NTK_CORE_MEMORY_H

#include <stddef.h>

#include "core/status.h"

/* Raises NTK_ERR_MEMORY naming `what` and the size. The memory is zeroed;
 * `*out` is NULL on failure; free it with free(). */
ntk_status ntk_calloc(void *out_pointer, size_t count, size_t element_size, const char *what);
#define NTK_CALLOC(pointer, count, what)                                       \
    ntk_calloc(&(pointer), (size_t)(count), sizeof(*(pointer)), (what))

/* As ntk_calloc, but the block's contents are left as the system gives
 * them (the slack after it is zeroed): for a buffer the caller fills
 * completely, or of which it reads only what it wrote, before anything
 * else reads it. Zeroing is a pass over the whole block, and on fresh
 * memory that pass is where every page fault lands: for rank 0's gathered
 * Theta it was a large share of a values-only solve
 * (spectrum/node/gather_lapack.c; docs/design.md, "The single-node
 * eigensolver"). */
ntk_status ntk_alloc_unzeroed(void *out_pointer, size_t count, size_t element_size,
                              const char *what);
#define NTK_ALLOC_UNZEROED(pointer, count, what)                               \
    ntk_alloc_unzeroed(&(pointer), (size_t)(count), sizeof(*(pointer)), (what))

/* As ntk_alloc_unzeroed, but never on huge pages: for an array written a
 * little at a time and unevenly, where zeroing 2 MiB at each first touch
 * costs more than the fewer faults save: LAPACK's dstedc with its
 * eigenvectors and workspace on huge pages measured slower than on normal
 * pages (spectrum/node/node_eigen.c; docs/design.md, "The single-node
 * eigensolver", has the times). */
ntk_status ntk_alloc_small_pages(void *out_pointer, size_t count, size_t element_size,
                                 const char *what);
#define NTK_ALLOC_SMALL_PAGES(pointer, count, what)                            \
    ntk_alloc_small_pages(&(pointer), (size_t)(count), sizeof(*(pointer)), (what))

/* Shrinks a block from ntk_calloc to `count` elements, keeping the slack
 * after its end that BLAS kernels may read (memory.c). A failed shrink
 * leaves the larger block, which is still valid. */
void ntk_shrink(void *pointer_address, size_t count, size_t element_size);

#endif
