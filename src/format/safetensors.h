/* The safetensors format: an index of named tensors, reading one tensor as
 * float64, and writing a set of float64 tensors.
 *
 * File layout (https://github.com/huggingface/safetensors):
 *   8 bytes   N, the JSON header length, unsigned little-endian
 *   N bytes   JSON object: name -> {"dtype": "F32", "shape": [out, in],
 *             "data_offsets": [begin, end]}, plus an optional "__metadata__"
 *             object of strings (ignored on reading)
 *   rest      the data section; a tensor's bytes are [begin, end) counted
 *             from the start of the data section, little-endian, C order
 * The JSON is parsed with libcjson.
 *
 * Typical use (mapping tensors to model layers):
 *
 *   st_index index;
 *   NTK_TRY(st_read_index(path, &index));      // validates every entry
 *   const st_tensor *w = st_find(&index, "0.weight");
 *   if (w == NULL) ... missing tensor ...
 *   if (w->ndim != 2 || w->shape[0] != out || w->shape[1] != in) ... shape error ...
 *   NTK_TRY(st_read_tensor(&index, w, values)); // values: w->elements doubles
 *   st_free_index(&index);
 *
 * Every error is NTK_ERR_DATA (reading) or NTK_ERR_IO (writing) and starts
 * with the file's path; tensor errors name the tensor.
 */
#ifndef NTK_FORMAT_SAFETENSORS_H
#define NTK_FORMAT_SAFETENSORS_H

#include <stdint.h>

#include "core/status.h"

enum {
    ST_MAX_DIMS = 8,     /* tensors with more dimensions are refused */
    ST_NAME_MAX = 256,   /* longer tensor names are refused */
    ST_PATH_MAX = 4096
};

/* One tensor of the index. The element type is given as in the file ("F64",
 * "F32", "BF16", "I64", ...); only F64 and F32 can be read as values. */
typedef struct {
    char name[ST_NAME_MAX];
    char dtype[16];
    int item_size;           /* bytes per element; 0 for a dtype this reader does not know */
    int ndim;                /* 0 for a scalar */
    int64_t shape[ST_MAX_DIMS];
    int64_t elements;        /* product of shape (1 for a scalar) */
    int64_t begin, end;      /* absolute byte offsets in the file, end exclusive */
} st_tensor;

/* All tensors of a file, in the order the JSON header lists them (which is
 * not a promise of any writer: sort by name where order matters). */
typedef struct {
    char path[ST_PATH_MAX];
    int count;
    st_tensor *tensors;
    const st_tensor **by_name; /* the tensors sorted by name (for st_find) */
    int64_t data_start;      /* 8 + header length */
    int64_t file_size;
} st_index;

/* Read and validate the header of `path` as the reference loader
 * (huggingface safetensors) does: a regular file; the length prefix against
 * the file size (at most 100,000,000 bytes of header); UTF-8 JSON, one
 * object with only JSON whitespace (spaces, as writers pad) around it, no
 * NUL padding or other trailing bytes; unique tensor names; for every tensor
 * its dtype, shape and data_offsets (begin <= end, end - begin == elements *
 * item size for known dtypes); and the tensors' data_offsets, sorted, tile
 * the data section exactly: no overlap, no gap, the last one ending at the
 * end of the file. Rank-local. On failure the index is empty. */
ntk_status st_read_index(const char *path, st_index *index);
void st_free_index(st_index *index);

/* The tensor called `name`, or NULL (a binary search: O(log count)). */
const st_tensor *st_find(const st_index *index, const char *name);

/* Read one tensor (F64 or F32; other dtypes are an error naming the dtype)
 * into `values` (tensor->elements doubles, C order as stored), converted to
 * host float64. Values are not checked for NaN/Inf. */
ntk_status st_read_tensor(const st_index *index, const st_tensor *tensor, double *values);

/* A tensor to write: `values` holds the product of `shape` doubles in C order. */
typedef struct {
    const char *name;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    const double *values;
} st_output_tensor;

/* Write `count` tensors as F64, in the given order, to PATH.partial and
 * rename it to PATH. The header is padded with spaces to a multiple of 8
 * bytes so the data section is aligned. Names must be unique and must not
 * be "__metadata__". Rank-local. */
ntk_status st_write_f64(const char *path, const st_output_tensor *tensors, int count);

#endif
