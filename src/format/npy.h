/* The .npy format (NumPy format version 1.0/2.0/3.0): header parsing for
 * readers and header writing for writers.
 *
 * A header is the magic "\x93NUMPY", a version, a little-endian header length
 * and an ASCII Python dict, padded with spaces and ending in '\n' so the data
 * starts at a multiple of 64 bytes. Writers here always produce version 1.0
 * when the header fits in 65535 bytes (always, for 2-D arrays). */
#ifndef NTK_FORMAT_NPY_H
#define NTK_FORMAT_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

typedef enum { NPY_FLOAT64 = 0, NPY_FLOAT32 } npy_dtype;

typedef struct {
    npy_dtype dtype;
    int swap_bytes;     /* data is big-endian on this little-endian host */
    int fortran_order;
    int ndim;           /* 1 to 4 */
    int64_t shape[2];   /* rows, and values per row: the product of the other
                         * dimensions (1 for ndim 1) */
    int64_t dims[4];    /* the dimensions as written: (N, H, W, C) images */
    int64_t data_offset;/* bytes before the first element */
} npy_header;

/* Read and parse the header of `path`; also checks the file is long enough
 * for the data it declares (a truncated file is an error). NTK_ERR_DATA
 * messages start with the path. */
ntk_status npy_read_header(const char *path, npy_header *header);

/* Build a float64 header for a `rows` x `cols` array (ndim 1 when cols < 0).
 * Writes at most `capacity` bytes into `buffer`, sets *length (a multiple of
 * 64). */
ntk_status npy_build_header(int64_t rows, int64_t cols, int fortran_order, char *buffer,
                            size_t capacity, size_t *length);

/* The same for `element_bytes` 4 (float32, '<f4') or 8 (float64). */
ntk_status npy_build_header_of(int element_bytes, int64_t rows, int64_t cols, int fortran_order,
                               char *buffer, size_t capacity, size_t *length);

/* A whole float32 array from one process, as npy_write_local. */
ntk_status npy_write_local_float32(const char *path, const float *values, int64_t rows,
                                   int64_t cols);

/* Write a whole float64 array from one process (rank 0 for small outputs):
 * to PATH.partial, then rename to PATH. `cols` < 0 writes a 1-D array. */
ntk_status npy_write_local(const char *path, const double *values, int64_t rows,
                           int64_t cols);

#endif
