/* Private to src/data: one reader per source kind, behind data.c's dispatch.
 * `role_name` is "inputs", "targets" or "data"; it only names the file in
 * messages. Row lists are ascending global row numbers. */
#ifndef NTK_DATA_INTERNAL_H
#define NTK_DATA_INTERNAL_H

#include <stdint.h>

#include "core/status.h"
#include "data/data_config.h"

/* .npy files (npy_source.c). */
ntk_status data_npy_shape(const char *path, const char *role_name, int64_t *rows, int64_t *cols);
/* The shape of one row: (d) for 1-D/2-D arrays, (L, C) or (H, W, C) for 3-D/4-D. */
ntk_status data_npy_input_shape(const char *path, int *rank, int64_t dims[3]);
ntk_status data_npy_read_rows(const char *path, const char *role_name, const int64_t *index,
                              int64_t count, int64_t cols, double *values);

/* .csv files (csv_source.c). */
ntk_status data_csv_shape(const char *path, const char *role_name, int64_t *rows, int64_t *cols);
ntk_status data_csv_read_rows(const char *path, const char *role_name, const int64_t *index,
                              int64_t count, int64_t cols, double *values);

/* Synthetic data (synthetic.c). */
ntk_status data_synthetic_inputs(const ntk_data_source *source, const int64_t *index,
                                 int64_t count, int64_t cols, double *values);
ntk_status data_synthetic_targets(const ntk_data_source *source, const int64_t *index,
                                  int64_t count, int64_t k, const double *inputs,
                                  int64_t input_dim, double *values);

/* NTK_ERR_DATA "<path>: row R, column C: value is not finite" for the first
 * NaN/Inf in count x cols row-major `values` whose rows are `index`. */
ntk_status data_check_finite(const char *path, const int64_t *index, int64_t count,
                             int64_t cols, const double *values);

/* "<path>: cannot open <role> file: <reason>" when the file cannot be opened
 * for reading (so a missing file gets that message, not a parser's). */
ntk_status data_check_readable(const char *path, const char *role_name);

#endif
