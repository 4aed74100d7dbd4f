/* The dict of a .npy header, parsed as the Python literal it is (internal to
 * src/format). NumPy reads it with ast.literal_eval, where a repeated key
 * silently means its last value; here a repeated key, an unknown key, a
 * missing key or anything that is not a literal dict of exactly 'descr',
 * 'fortran_order' and 'shape' is refused, so ntkgram never reads a file
 * differently from NumPy. */
#ifndef NTK_FORMAT_NPY_DICT_H
#define NTK_FORMAT_NPY_DICT_H

#include <stddef.h>

#include "format/npy.h"

/* Parse `length` bytes of `text` (the dict and its padding) into the dtype,
 * byte order, order and shape fields of `header`. NTK_ERR_DATA messages start
 * with `path`. */
ntk_status npy_parse_dict(const char *path, const char *text, size_t length, npy_header *header);

#endif
