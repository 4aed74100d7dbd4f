/* Checked allocation (see memory.h). */
#define _GNU_SOURCE /* MADV_HUGEPAGE */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/status.h"

enum {
    HUGE_PAGE_BYTES = 2 << 20,
    SMALL_ALIGNMENT_BYTES = 64,
    /* Every block gets this much zeroed slack after its end: OpenBLAS 0.3.21's
     * Prescott kernels (dgemv_n, dgemv_t, dsymv_L; the kernel it picks for CPUs
     * it does not recognise) read one element past the arrays they are given
     * (valgrind: "0 bytes after a block"). Harmless on normal heaps; with a
     * block that ends a mapping (ASan's allocator) it is a SEGV. */
    BLAS_SLACK_BYTES = 256
};

/* All allocators: 2 MiB-aligned when large and then marked for huge pages
 * (`huge`) or against them, the slack after the block zeroed, the body
 * zeroed only when `zero`. */
static ntk_status allocate(void *out_pointer, size_t count, size_t element_size, int zero,
                           int huge, const char *what)
{
    void **out = (void **)out_pointer;
    *out = NULL;
    if (count == 0)
        count = 1; /* a valid, freeable pointer for empty local blocks */
    if (element_size != 0 && count > SIZE_MAX / element_size)
        return NTK_RAISE(NTK_ERR_MEMORY, "cannot allocate %s: size overflows", what);
    if (count * element_size > SIZE_MAX - BLAS_SLACK_BYTES)
        return NTK_RAISE(NTK_ERR_MEMORY, "cannot allocate %s: size overflows", what);
    const size_t body = count * element_size, bytes = body + BLAS_SLACK_BYTES;
    /* Small blocks: 64 bytes, a cache line, and whole vector words for the
     * fixed-order SGEMM's inner products (core/fixed_sgemm.h). */
    const size_t alignment = bytes < HUGE_PAGE_BYTES ? SMALL_ALIGNMENT_BYTES : HUGE_PAGE_BYTES;
    if (posix_memalign(out, alignment, bytes) != 0)
        *out = NULL;
    if (*out == NULL)
        return NTK_RAISE(NTK_ERR_MEMORY, "out of memory allocating %s (%.1f MiB)", what,
                         (double)bytes / 1048576.0);
    /* A hint: where huge pages are off or exhausted, normal pages serve. */
    if (alignment == HUGE_PAGE_BYTES)
        (void)madvise(*out, bytes, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
    if (zero)
        memset(*out, 0, body);
    memset((char *)*out + body, 0, BLAS_SLACK_BYTES);
    return NTK_OK;
}

ntk_status ntk_calloc(void *out_pointer, size_t count, size_t element_size, const char *what)
{
    return allocate(out_pointer, count, element_size, 1, 1, what);
}

ntk_status ntk_alloc_unzeroed(void *out_pointer, size_t count, size_t element_size,
                              const char *what)
{
    return allocate(out_pointer, count, element_size, 0, 1, what);
}

ntk_status ntk_alloc_small_pages(void *out_pointer, size_t count, size_t element_size,
                                 const char *what)
{
    return allocate(out_pointer, count, element_size, 0, 0, what);
}

void ntk_shrink(void *pointer_address, size_t count, size_t element_size)
{
    void **pointer = (void **)pointer_address;
    if (count == 0)
        count = 1;
    if (*pointer == NULL || (element_size != 0 && count > (SIZE_MAX - BLAS_SLACK_BYTES) / element_size))
        return;
    void *shrunk = realloc(*pointer, count * element_size + BLAS_SLACK_BYTES);
    if (shrunk != NULL)
        *pointer = shrunk;
}
