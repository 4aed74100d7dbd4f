/* The points of a sweep: their numbering, values and directory names.
 *
 * Points are numbered like itertools.product over the sweep's axes in the
 * order the job lists them: the first varies slowest, the last fastest. Each
 * key of `sweep:` is an axis; the keys of `sweep.zip` are one axis together
 * (like Python's zip: value i of each at once), at the place of `zip`.
 *
 * A point's directory name lists its values as key=value joined by ',', in
 * key order (a zip's keys in their order inside the zip, all of them), e.g.
 * "model.layers_0_.dense=256,model.seed=1". Characters other
 * than letters, digits and . _ - + = , become '_' (so brackets, spaces,
 * slashes and quotes never reach the file system). When a character of a
 * value had to be replaced, or the name is longer than SWEEP_NAME_MAX (then
 * it is cut), the name ends in "~" plus a 16-digit hash of the exact
 * key=value text, so distinct points keep distinct names
 * ("data.inputs=npy_a.npy~3f0c...", next to "data.inputs=npy_a.npy"). A
 * point's folder is complete only when its point.csv names the same point
 * (index and value text: sweep/table.h), so a collision can never make one
 * point pass for another. */
#ifndef NTK_SWEEP_POINT_H
#define NTK_SWEEP_POINT_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "job/job.h"

enum { SWEEP_NAME_MAX = 200 };

/* The value index of every key for point `point` (0 <= point < sweep_points). */
void sweep_point_indices(const ntk_job *job, int64_t point, int index[NTK_MAX_SWEEP_KEYS]);

/* The directory name of a point (capacity >= SWEEP_NAME_MAX + 1). */
void sweep_point_name(const ntk_job *job, int64_t point, char *name, size_t capacity);

/* The point's overrides "key=value" (appended to `overrides` from slot
 * *count on). NTK_ERR_USAGE when there are too many overrides. */
ntk_status sweep_point_overrides(const ntk_job *job, int64_t point, ntk_override *overrides,
                                 int *count);

#endif
