/* The sweep table: one row per finished point.
 *
 * Every point directory gets point.csv (a header and its one row) when the
 * point finishes; sweep.csv in the sweep's output.dir is rebuilt from all
 * point.csv files that exist, in point order, at the end of every sweep run.
 * So array tasks running single points (--point I) never overwrite each
 * other's rows: each owns its point.csv, and whichever task finishes last
 * leaves the table of every point finished so far. A row is taken only when
 * it starts with its own point's index and values. 
 *
 * Columns: point, one per sweep key (the value's YAML text), N, lambda_max,
 * lambda_min, effective_rank, largest_stable_learning_rate, wall_seconds,
 * analytic_distance (empty when not computed; spectral columns are empty with
 * spectrum.solver none). */
#ifndef NTK_SWEEP_TABLE_H
#define NTK_SWEEP_TABLE_H

#include <stdint.h>

#include "core/status.h"
#include "job/job.h"
#include "pipeline/pipeline.h"

/* Write <point_dir>/point.csv. Rank-local (rank 0). */
ntk_status sweep_write_point_row(const ntk_job *sweep_job, int64_t point, const char *point_dir,
                                 const ntk_run_result *result);

/* Whether <point_dir>/point.csv holds the complete row of this very point:
 * same columns, same index and the exact value text of every key. This is
 * the point's identity; a folder that another point (or another sweep) wrote
 * does not count. Rank-local. */
ntk_status sweep_point_row_exists(const ntk_job *sweep_job, int64_t point, const char *point_dir,
                                  int *exists);

/* Rebuild <dir>/sweep.csv from the points' point.csv files; *rows gets the
 * number of rows written. Rank-local (rank 0). */
ntk_status sweep_write_table(const ntk_job *sweep_job, const char *dir, int64_t *rows);

#endif
