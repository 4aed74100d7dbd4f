/* Inputs and targets: each rank reads or generates only the rows it needs.
 *
 * Sources: a .npy file (float64 or float32, 1-D or 2-D, C or Fortran order,
 * either byte order; a 1-D array of length N is N rows of one column), a .csv
 * file (numbers only, comma separated, an optional header row of names: the
 * first line when one of its fields is not a number; blank lines are
 * skipped), or synthetic data generated from a counter-based RNG keyed by
 * (seed, row, column), so any subset of rows is the same whatever rank makes
 * it:
 *   inputs  gaussian  x_ij ~ N(0,1)
 *           sphere    the gaussian row scaled to norm sqrt(dim)
 *   targets gaussian  y_io ~ N(0,1) (a stream of its own: not the inputs)
 *           sine      y_o(x) = sin(<a_o, x> / sqrt(dim)), a_o ~ N(0, I) keyed by seed
 *
 * Every value is checked: NaN/Inf, ragged CSV rows, truncated .npy files and
 * wrong shapes are NTK_ERR_DATA naming the data file (and the row and column,
 * counted from 0 as in NumPy, for values; CSV errors also give file:line).
 * Reading is rank-local: ranks that read disjoint rows may fail differently,
 * so callers agree on the status.
 */
#ifndef NTK_DATA_DATA_H
#define NTK_DATA_DATA_H

#include <stdint.h>

#include "core/status.h"
#include "data/data_config.h"

/* What a source is used for; it picks the synthetic generator and names the
 * file in messages ("cannot open inputs file"). */
typedef enum { DATA_ROLE_INPUTS = 0, DATA_ROLE_TARGETS } data_role;

/* Shape of a source without reading its values: rows and columns. For
 * synthetic inputs this is (n, dim); for synthetic targets it is (n, k) and
 * the caller passes n and k in through *rows and *cols. Rank-local. */
ntk_status data_shape_as(const ntk_data_source *source, data_role role, int64_t *rows,
                         int64_t *cols);

/* data_shape_as without a role: synthetic sources with kind sine or dim <= 0
 * are targets, other synthetic sources inputs; files are named "data file" in
 * messages (prefer data_shape_as, which names them "inputs"/"targets"). */
ntk_status data_shape(const ntk_data_source *source, int64_t *rows, int64_t *cols);

/* The shape of one input, channels last: rank 1 (d) for 2-D files, CSV and
 * synthetic inputs given by dim; (L, C) or (H, W, C) for 3-D/4-D .npy files
 * and synthetic inputs given a shape. Rank-local. */
ntk_status data_input_shape(const ntk_data_source *source, int *rank, int64_t dims[3]);

/* Whether `targets` (data.targets, data.test_targets) come from a file whose
 * shape the run must check against the inputs and the model: absent targets
 * need nothing and synthetic ones are made to fit. `*have_targets` gets
 * whether there are targets at all. */
int data_targets_need_shape_check(const ntk_data_source *targets, int *have_targets);

/* Read rows `index[0..count)` (ascending global row numbers) of a source into
 * `values` (count x cols, row-major, caller-allocated). `cols` must equal the
 * source's column count (for synthetic targets: the number of model outputs
 * k). Targets callers pass the matching input rows in `inputs` (count x
 * input_dim; needed by synthetic sine targets) — a non-NULL `inputs` is what
 * marks the source as targets; inputs callers pass NULL and 0. Rank-local. */
ntk_status data_read_rows(const ntk_data_source *source, const int64_t *index, int64_t count,
                          int64_t cols, const double *inputs, int64_t input_dim,
                          double *values);

/* Convenience: a contiguous row range [first, first+count). */
ntk_status data_read_range(const ntk_data_source *source, int64_t first, int64_t count,
                           int64_t cols, const double *inputs, int64_t input_dim,
                           double *values);

#endif
