/* Inputs and targets: each rank reads or generates only the rows it needs.
 *
 * Sources: a .npy file (float64 or float32, 2-D, C or Fortran order; a 1-D
 * array is one column for targets), a .csv file (numbers only, optional header
 * row of names, comma separated), or synthetic data generated from a
 * counter-based RNG keyed by (seed, row, column), so any subset of rows is
 * the same whatever rank makes it.
 *
 * Every value is checked: NaN/Inf, ragged CSV rows, truncated .npy files and
 * wrong shapes are NTK_ERR_DATA naming the data file (and row, for values).
 */
#ifndef NTK_DATA_DATA_H
#define NTK_DATA_DATA_H

#include <stdint.h>

#include "core/status.h"
#include "job/job.h"

/* Shape of a source without reading its values: rows and columns. For
 * synthetic inputs this is (n, dim); for synthetic targets it is (n, k) and
 * the caller passes n and k in. Rank-local. */
ntk_status data_shape(const ntk_data_source *source, int64_t *rows, int64_t *cols);

/* Read rows `index[0..count)` (ascending global row numbers) of a source into
 * `values` (count x cols, row-major, caller-allocated). For synthetic targets
 * `inputs` supplies the matching input rows (count x input_dim) and `cols` is
 * the number of model outputs k; other sources ignore them. Rank-local. */
ntk_status data_read_rows(const ntk_data_source *source, const int64_t *index, int64_t count,
                          int64_t cols, const double *inputs, int64_t input_dim,
                          double *values);

/* Convenience: a contiguous row range [first, first+count). */
ntk_status data_read_range(const ntk_data_source *source, int64_t first, int64_t count,
                           int64_t cols, const double *inputs, int64_t input_dim,
                           double *values);

#endif
