/* Dispatch of data_shape/data_read_rows to the reader of each source kind,
 * and the checks every reader shares (see data.h). */
#include "data/data.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/data_internal.h"

static const char *role_name(data_role role)
{
    return role == DATA_ROLE_TARGETS ? "targets" : "inputs";
}

ntk_status data_check_readable(const char *path, const char *role_name)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL)
        return NTK_RAISE(NTK_ERR_DATA, "%s: cannot open %s file: %s", path, role_name,
                         strerror(errno));
    fclose(file);
    return NTK_OK;
}

ntk_status data_check_finite(const char *path, const int64_t *index, int64_t count,
                             int64_t cols, const double *values)
{
    for (int64_t r = 0; r < count; ++r)
        for (int64_t c = 0; c < cols; ++c)
            if (!isfinite(values[r * cols + c]))
                return NTK_RAISE(NTK_ERR_DATA, "%s: row %lld, column %lld: value is not finite "
                                 "(%g)", path, (long long)index[r], (long long)c,
                                 values[r * cols + c]);
    return NTK_OK;
}

static ntk_status shape_with_name(const ntk_data_source *source, int synthetic_targets,
                                  const char *name, int64_t *rows, int64_t *cols)
{
    switch (source->kind) {
    case NTK_SOURCE_NPY:
        NTK_TRY(data_check_readable(source->path, name));
        return data_npy_shape(source->path, name, rows, cols);
    case NTK_SOURCE_CSV:
        NTK_TRY(data_check_readable(source->path, name));
        return data_csv_shape(source->path, name, rows, cols);
    case NTK_SOURCE_SYNTHETIC:
        if (!synthetic_targets) {
            *rows = source->n;
            *cols = source->dim;
        }
        /* Synthetic targets: (n, k) as the caller passed them in. */
        return NTK_OK;
    case NTK_SOURCE_NONE:
        break;
    }
    return NTK_RAISE(NTK_ERR_INTERNAL, "data_shape: source has no data (kind %d)",
                     (int)source->kind);
}

ntk_status data_shape_as(const ntk_data_source *source, data_role role, int64_t *rows,
                         int64_t *cols)
{
    return shape_with_name(source, role == DATA_ROLE_TARGETS, role_name(role), rows, cols);
}

ntk_status data_shape(const ntk_data_source *source, int64_t *rows, int64_t *cols)
{
    int synthetic_targets = source->kind == NTK_SOURCE_SYNTHETIC &&
                            (source->synthetic == NTK_SYNTH_SINE || source->dim <= 0);
    return shape_with_name(source, synthetic_targets, "data", rows, cols);
}

ntk_status data_read_rows(const ntk_data_source *source, const int64_t *index, int64_t count,
                          int64_t cols, const double *inputs, int64_t input_dim,
                          double *values)
{
    const data_role role = inputs != NULL ? DATA_ROLE_TARGETS : DATA_ROLE_INPUTS;
    for (int64_t r = 1; r < count; ++r)
        if (index[r] <= index[r - 1])
            return NTK_RAISE(NTK_ERR_INTERNAL, "data_read_rows: row list is not ascending");
    if (count > 0 && index[0] < 0)
        return NTK_RAISE(NTK_ERR_INTERNAL, "data_read_rows: negative row number");
    switch (source->kind) {
    case NTK_SOURCE_NPY:
        NTK_TRY(data_check_readable(source->path, role_name(role)));
        return data_npy_read_rows(source->path, role_name(role), index, count, cols, values);
    case NTK_SOURCE_CSV:
        NTK_TRY(data_check_readable(source->path, role_name(role)));
        return data_csv_read_rows(source->path, role_name(role), index, count, cols, values);
    case NTK_SOURCE_SYNTHETIC:
        if (role == DATA_ROLE_TARGETS)
            return data_synthetic_targets(source, index, count, cols, inputs, input_dim, values);
        return data_synthetic_inputs(source, index, count, cols, values);
    case NTK_SOURCE_NONE:
        break;
    }
    return NTK_RAISE(NTK_ERR_INTERNAL, "data_read_rows: source has no data (kind %d)",
                     (int)source->kind);
}

ntk_status data_read_range(const ntk_data_source *source, int64_t first, int64_t count,
                           int64_t cols, const double *inputs, int64_t input_dim,
                           double *values)
{
    int64_t *index = NULL;
    NTK_TRY(NTK_CALLOC(index, count, "the row list"));
    for (int64_t r = 0; r < count; ++r)
        index[r] = first + r;
    ntk_status status = data_read_rows(source, index, count, cols, inputs, input_dim, values);
    free(index);
    return status;
}

ntk_status data_input_shape(const ntk_data_source *source, int *rank, int64_t dims[3])
{
    dims[0] = dims[1] = dims[2] = 0;
    *rank = 1;
    switch (source->kind) {
    case NTK_SOURCE_NPY:
        NTK_TRY(data_check_readable(source->path, role_name(DATA_ROLE_INPUTS)));
        return data_npy_input_shape(source->path, rank, dims);
    case NTK_SOURCE_SYNTHETIC:
        if (source->shape_rank > 0) {
            *rank = source->shape_rank;
            for (int d = 0; d < source->shape_rank; ++d)
                dims[d] = source->shape[d];
            return NTK_OK;
        }
        break;
    case NTK_SOURCE_CSV:
    case NTK_SOURCE_NONE:
        break;
    }
    int64_t rows = 0;
    return data_shape_as(source, DATA_ROLE_INPUTS, &rows, &dims[0]);
}

int data_targets_need_shape_check(const ntk_data_source *targets, int *have_targets)
{
    *have_targets = targets->kind != NTK_SOURCE_NONE;
    return targets->kind != NTK_SOURCE_NONE && targets->kind != NTK_SOURCE_SYNTHETIC;
}
