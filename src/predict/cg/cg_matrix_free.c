/* The matrix-free operator of cg.h: products Theta V = J (J^T V) by the
 * operator of spectrum/parpack (no Theta anywhere), Theta's diagonal from
 * the own inputs' features, and columns at pivots by the cross kernel
 * Theta(X, pivot inputs) of kernel/cross.c, assembled on the grid and moved
 * to own rows. */
#include "predict/cg/cg_operators.h"
#include "core/mpi_sum.h"

#include <stdlib.h>
#include <string.h>

static ntk_status mf_apply(void *context, const double *x, int64_t columns, int64_t ld, double *y)
{
    cg_matrix_free *mf = context;
    return mf_operator_apply(&mf->products, x, columns, ld, y);
}

static ntk_status mf_diagonal(void *context, double *diagonal)
{
    cg_matrix_free *mf = context;
    return mf_operator_diagonal(&mf->products, diagonal);
}

/* The distinct inputs of the pivot rows, ascending, into `items`;
 * returns their number. */
static int64_t pivot_items(const int64_t *indices, int64_t count, int per_item, int64_t *items)
{
    int64_t n = 0;
    for (int64_t j = 0; j < count; ++j) {
        const int64_t item = indices[j] / per_item;
        int64_t at = 0;
        while (at < n && items[at] < item)
            ++at;
        if (at < n && items[at] == item)
            continue;
        memmove(items + at + 1, items + at, sizeof(int64_t) * (size_t)(n - at));
        items[at] = item;
        ++n;
    }
    return n;
}

static ntk_status mf_columns(void *context, const int64_t *indices, int64_t count, double *out,
                             int64_t ld)
{
    cg_matrix_free *mf = context;
    const ntk_grid *grid = mf->grid;
    const ntk_input_block *train = mf->inputs;
    const int64_t dim = train->dim;
    int64_t *items = NULL;
    double *x = NULL, *own = NULL;
    ntk_dmatrix cross = {0};
    ntk_status status = NTK_CALLOC(items, count + 1, "pivot inputs");
    NTK_TRY_GOTO(status, ntk_agree(status, grid->comm), done);
    const int64_t n_items = pivot_items(indices, count, mf->per_item, items);
    const int64_t width = n_items * mf->per_item;
    status = NTK_CALLOC(x, n_items * dim + 1, "pivot inputs");
    if (status == NTK_OK)
        status = NTK_CALLOC(own, (mf->op.own_rows > 0 ? mf->op.own_rows : 1) * width,
                            "pivot columns");
    if (status == NTK_OK)
        status = dmatrix_create(grid, mf->op.size, width, &cross);
    NTK_TRY_GOTO(status, ntk_agree(status, grid->comm), done);
    /* Every rank gets the pivot inputs from their owners. */
    for (int64_t u = 0; u < n_items; ++u) {
        const int64_t local = items[u] - train->first;
        if (local >= 0 && local < train->count)
            memcpy(x + u * dim, train->x + local * dim, sizeof(double) * (size_t)dim);
    }
    NTK_MPI_GOTO(status, MPI_Allreduce(MPI_IN_PLACE, x, (int)(n_items * dim), MPI_DOUBLE,
                                       MPI_SUM, grid->comm), done);
    ntk_input_block pivots = {n_items, dim, 0, 0, NULL};
    grid_own_block(n_items, grid->size, grid->rank, &pivots.first, &pivots.count);
    pivots.x = x + pivots.first * dim;
    NTK_TRY_GOTO(status, kernel_assemble_cross(mf->kernel, mf->model, grid, train, &pivots, 0,
                                               NULL, &cross, NULL), done);
    const int64_t rows = mf->op.own_rows, own_ld = rows > 0 ? rows : 1;
    NTK_TRY_GOTO(status, cg_rows_from_dmatrix(grid, &cross, mf->op.first_row, rows, own, own_ld),
                 done);
    for (int64_t j = 0; j < count; ++j) {
        const int64_t item = indices[j] / mf->per_item;
        int64_t u = 0;
        while (items[u] != item)
            ++u;
        const int64_t column = u * mf->per_item + indices[j] % mf->per_item;
        if (rows > 0)
            memcpy(out + j * ld, own + column * own_ld, sizeof(double) * (size_t)rows);
    }
done:
    dmatrix_destroy(&cross);
    free(items);
    free(x);
    free(own);
    return status;
}

ntk_status cg_matrix_free_create(const ntk_kernel_config *kernel, const ntk_model *model,
                                 const ntk_grid *grid, const ntk_input_block *inputs,
                                 int stored_features, int64_t max_columns, cg_matrix_free *mf)
{
    memset(mf, 0, sizeof *mf);
    const int full = kernel->kernel->outputs == NTK_OUTPUTS_FULL;
    NTK_TRY(ntk_agree(mf_operator_create(model, inputs, grid->comm, full, stored_features,
                                         MF_BATCH_INPUTS, max_columns, &mf->products),
                      grid->comm));
    mf->kernel = kernel;
    mf->model = model;
    mf->grid = grid;
    mf->inputs = inputs;
    mf->per_item = full ? model_outputs(model) : 1;
    mf->op.comm = grid->comm;
    mf->op.size = inputs->n * mf->per_item;
    mf->op.own_rows = mf->products.rows;
    mf->op.first_row = mf->products.first_row;
    mf->op.name = "matrix_free";
    mf->op.widest_apply = mf->products.max_vectors;
    mf->op.context = mf;
    mf->op.apply = mf_apply;
    mf->op.columns = mf_columns;
    mf->op.diagonal = mf_diagonal;
    return NTK_OK;
}

void cg_matrix_free_destroy(cg_matrix_free *mf)
{
    mf_operator_destroy(&mf->products);
}

ntk_status cg_matrix_free_apply_replicated(void *context, int64_t columns, const double *x,
                                           double *y)
{
    cg_matrix_free *mf = context;
    const int64_t rows = mf->op.own_rows, ld = rows > 0 ? rows : 1, size = mf->op.size;
    double *in = NULL, *out = NULL;
    ntk_status status = NTK_CALLOC(in, ld * columns, "matrix-free check");
    if (status == NTK_OK)
        status = NTK_CALLOC(out, ld * columns, "matrix-free check");
    status = ntk_agree(status, mf->op.comm);
    if (status == NTK_OK) {
        for (int64_t c = 0; c < columns; ++c)
            for (int64_t i = 0; i < rows; ++i)
                in[c * ld + i] = x[c * size + mf->op.first_row + i];
        status = mf_operator_apply(&mf->products, in, columns, ld, out);
    }
    if (status == NTK_OK) {
        memset(y, 0, sizeof(double) * (size_t)(size * columns));
        for (int64_t c = 0; c < columns; ++c)
            for (int64_t i = 0; i < rows; ++i)
                y[c * size + mf->op.first_row + i] = out[c * ld + i];
        status = ntk_allreduce_sum(NULL, y, size * columns, mf->op.comm);
    }
    free(in);
    free(out);
    return status;
}
