/* Held-out data (see predict.h): the shapes of data.test_inputs and
 * data.test_targets checked against the training data and the model, this
 * rank's own blocks of them, and the gather of per-row vectors. */
#include "predict/predict.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/data.h"

/* "FILE:LINE:COL: KEY" for a data source's key; an override's location
 * ("--set KEY") names the key already. */
static const char *where_text(const ntk_data_source *source, const char *key, char *buffer,
                              size_t size)
{
    char place[NTK_PATH_MAX + 64];
    job_location_text(&source->where, place, sizeof place);
    if (source->where.line > 0)
        snprintf(buffer, size, "%.4000s: %s", place, key);
    else
        snprintf(buffer, size, "%.4000s", place);
    return buffer;
}

/* A data error about a held-out source, prefixed with the key it came from
 * (the data module names files "inputs"/"targets"). */
static ntk_status shape_of(const ntk_data_source *source, data_role role, const char *key,
                           int64_t *rows, int64_t *cols)
{
    ntk_status status = data_shape_as(source, role, rows, cols);
    if (status == NTK_OK)
        return NTK_OK;
    char message[1024], where[NTK_PATH_MAX + 64];
    snprintf(message, sizeof message, "%s", ntk_error_message());
    ntk_error_clear();
    return ntk_raise(status, __FILE__, __LINE__, "%s: %s",
                     where_text(source, key, where, sizeof where), message);
}

/* One point's shape as NumPy prints it: "(4,)" or "(8, 8, 1)". */
static const char *point_shape_text(int rank, const int64_t dims[3], char *text, size_t size)
{
    if (rank <= 1) {
        snprintf(text, size, "(%lld,)", (long long)dims[0]);
        return text;
    }
    size_t used = (size_t)snprintf(text, size, "(");
    for (int d = 0; d < rank && d < 3 && used < size; ++d)
        used += (size_t)snprintf(text + used, size - used, "%s%lld", d > 0 ? ", " : "",
                                 (long long)dims[d]);
    if (used < size)
        snprintf(text + used, size - used, ")");
    return text;
}

ntk_status predict_test_shape(const ntk_predict_config *config, int64_t input_dim, int k,
                              ntk_test_shape *shape)
{
    memset(shape, 0, sizeof *shape);
    char where[NTK_PATH_MAX + 64];
    int64_t rows = 0, cols = 0;
    NTK_TRY(shape_of(config->test_inputs, DATA_ROLE_INPUTS, "data.test_inputs", &rows, &cols));
    where_text(config->test_inputs, "data.test_inputs", where, sizeof where);
    if (rows < 1)
        return NTK_RAISE(NTK_ERR_DATA, "%s: must have at least one row", where);
    if (cols != input_dim)
        return NTK_RAISE(NTK_ERR_DATA,
                         "%s: points of dimension %lld, but the training "
                         "inputs have dimension %lld",
                         where, (long long)cols, (long long)input_dim);
    /* Images and sequences must match in every axis, not only in their
     * number of values: (4, 16, 1) read as (8, 8, 1) would be a wrong answer. */
    int train_rank = 0, test_rank = 0;
    int64_t train_dims[3] = {0, 0, 0}, test_dims[3] = {0, 0, 0};
    NTK_TRY(data_input_shape(config->inputs, &train_rank, train_dims));
    NTK_TRY(data_input_shape(config->test_inputs, &test_rank, test_dims));
    if (train_rank != test_rank || memcmp(train_dims, test_dims, sizeof train_dims) != 0) {
        char test_text[96], train_text[96];
        return NTK_RAISE(NTK_ERR_DATA,
                         "%s: points of shape %s, but the training inputs' points have shape %s",
                         where, point_shape_text(test_rank, test_dims, test_text, sizeof test_text),
                         point_shape_text(train_rank, train_dims, train_text,
                                          sizeof train_text));
    }
    shape->n_test = rows;
    if (!data_targets_need_shape_check(config->test_targets, &shape->have_targets))
        return NTK_OK;
    int64_t target_rows = 0, target_cols = 0;
    NTK_TRY(shape_of(config->test_targets, DATA_ROLE_TARGETS, "data.test_targets", &target_rows,
                     &target_cols));
    where_text(config->test_targets, "data.test_targets", where, sizeof where);
    if (target_rows != rows || (target_cols != k && !(target_cols == 1 && k > 1)))
        return NTK_RAISE(NTK_ERR_DATA,
                         "%s: shape (%lld, %lld), expected (%lld, %d) for %lld "
                         "test inputs and %d model outputs%s",
                         where, (long long)target_rows, (long long)target_cols, (long long)rows, k,
                         (long long)rows, k, k > 1 ? " (or one column of class labels)" : "");
    shape->labels = target_cols == 1 && k > 1;
    return NTK_OK;
}

ntk_status predict_read_test_block(const ntk_predict_config *config, const ntk_test_shape *shape,
                                   int64_t dim, int rank, int ranks, ntk_input_block *block)
{
    memset(block, 0, sizeof *block);
    block->n = shape->n_test;
    block->dim = dim;
    grid_own_block(shape->n_test, ranks, rank, &block->first, &block->count);
    NTK_TRY(NTK_CALLOC(block->x, block->count * dim + 1, "the own block of test inputs"));
    if (block->count > 0)
        NTK_TRY(data_read_range(config->test_inputs, block->first, block->count, dim, NULL, 0,
                                block->x));
    return NTK_OK;
}

ntk_status predict_read_test_targets(const ntk_predict_config *config, const ntk_test_shape *shape,
                                     int k, const ntk_input_block *block, double **targets)
{
    *targets = NULL;
    if (!shape->have_targets)
        return NTK_OK;
    NTK_TRY(NTK_CALLOC(*targets, block->count * k + 1, "the own block of test targets"));
    if (block->count == 0)
        return NTK_OK;
    if (!shape->labels)
        return data_read_range(config->test_targets, block->first, block->count, k, block->x,
                               block->dim, *targets);
    /* Class labels: read the column into the tail, then expand to one-hot rows. */
    double *labels = NULL;
    NTK_TRY(NTK_CALLOC(labels, block->count, "the own block of test labels"));
    ntk_status status = data_read_range(config->test_targets, block->first, block->count, 1,
                                        block->x, block->dim, labels);
    for (int64_t i = 0; status == NTK_OK && i < block->count; ++i) {
        double label = labels[i];
        if (label != floor(label) || label < 0 || label >= k) {
            char where[NTK_PATH_MAX + 64];
            status = NTK_RAISE(NTK_ERR_DATA,
                               "%s: row %lld: class label %g is not an integer in [0, %d)",
                               where_text(config->test_targets, "data.test_targets", where,
                                          sizeof where),
                               (long long)(block->first + i), label, k);
            break;
        }
        (*targets)[i * k + (int64_t)label] = 1.0;
    }
    free(labels);
    return status;
}

ntk_status predict_gather_rows(const double *own, int64_t own_count, int64_t n, int64_t width,
                               MPI_Comm comm, double *all)
{
    int ranks = 0;
    MPI_Comm_size(comm, &ranks);
    int *counts = NULL, *offsets = NULL;
    MPI_Datatype row_type = MPI_DATATYPE_NULL;
    ntk_status status = NTK_CALLOC(counts, ranks, "gather counts");
    if (status == NTK_OK)
        status = NTK_CALLOC(offsets, ranks, "gather offsets");
    if (status == NTK_OK && (n > 2147483647LL || width > 2147483647LL))
        status = NTK_RAISE(NTK_ERR_MEMORY, "predict: more than 2^31 rows or columns to gather");
    NTK_TRY_GOTO(status, ntk_agree(status, comm), done);
    for (int r = 0; r < ranks; ++r) {
        int64_t first = 0, count = 0;
        grid_own_block(n, ranks, r, &first, &count);
        counts[r] = (int)count;
        offsets[r] = (int)first;
    }
    /* One datatype element per row keeps the counts small for any width. */
    NTK_MPI_GOTO(status, MPI_Type_contiguous((int)width, MPI_DOUBLE, &row_type), done);
    NTK_MPI_GOTO(status, MPI_Type_commit(&row_type), done);
    NTK_MPI_GOTO(status, MPI_Allgatherv(own, (int)own_count, row_type, all, counts, offsets,
                                        row_type, comm),
                 done);
done:
    if (row_type != MPI_DATATYPE_NULL)
        MPI_Type_free(&row_type);
    free(counts);
    free(offsets);
    return status;
}
