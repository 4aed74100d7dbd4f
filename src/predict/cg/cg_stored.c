/* The stored operator of cg.h: Theta is the assembled distributed matrix.
 * A product moves the own-row columns into the block-cyclic layout of
 * Theta's grid, multiplies with PBLAS pdsymm (reading Theta's lower
 * triangle) and moves the result back. Columns at pivots are copied out of
 * Theta by pdgemr2d, which needs the whole matrix: the creator mirrors the
 * lower triangle when only it was assembled. */
#include "predict/cg/cg_operators.h"

#include <stdlib.h>
#include <string.h>

#include "core/lapack.h"
#include "core/mpi_sum.h"

static ntk_status stored_apply(void *context, const double *x, int64_t columns, int64_t ld,
                               double *y)
{
    cg_stored *s = context;
    const ntk_grid *grid = s->grid;
    ntk_dmatrix in = {0}, out = {0};
    ntk_status status = dmatrix_create(grid, s->theta->rows, columns, &in);
    if (status == NTK_OK)
        status = dmatrix_create(grid, s->theta->rows, columns, &out);
    status = ntk_agree(status, grid->comm);
    if (status == NTK_OK)
        status = cg_rows_to_dmatrix(grid, x, ld, s->op.first_row, s->op.own_rows, &in);
    if (status == NTK_OK) {
        const int m = (int)s->theta->rows, n = (int)columns, one = 1;
        const double alpha = 1.0, beta = 0.0;
        /* PBLAS reports a bad argument through pxerbla and returns: the
         * sizes and descriptors here are the ones dmatrix_create checked. */
        pdsymm_("L", "L", &m, &n, &alpha, s->theta->data, &one, &one, s->theta->desc, in.data,
                &one, &one, in.desc, &beta, out.data, &one, &one, out.desc, 1, 1);
        status = cg_rows_from_dmatrix(grid, &out, s->op.first_row, s->op.own_rows, y, ld);
    }
    dmatrix_destroy(&in);
    dmatrix_destroy(&out);
    return status;
}

static ntk_status stored_columns(void *context, const int64_t *indices, int64_t count,
                                 double *out, int64_t ld)
{
    cg_stored *s = context;
    const ntk_grid *grid = s->grid;
    ntk_dmatrix block = {0};
    ntk_status status = ntk_agree(dmatrix_create(grid, s->theta->rows, count, &block), grid->comm);
    if (status != NTK_OK)
        return status;
    const int m = (int)s->theta->rows, one = 1;
    for (int64_t j = 0; j < count; ++j) {
        const int from = (int)indices[j] + 1, to = (int)j + 1;
        pdgemr2d_(&m, &one, s->theta->data, &one, &from, s->theta->desc, block.data, &one, &to,
                  block.desc, &grid->context);
    }
    status = cg_rows_from_dmatrix(grid, &block, s->op.first_row, s->op.own_rows, out, ld);
    dmatrix_destroy(&block);
    return status;
}

static ntk_status stored_diagonal(void *context, double *diagonal)
{
    cg_stored *s = context;
    const ntk_grid *grid = s->grid;
    const ntk_dmatrix *t = s->theta;
    const int64_t lld = t->local_rows > 1 ? t->local_rows : 1;
    double *all = NULL;
    ntk_status status = ntk_agree(NTK_CALLOC(all, t->rows + 1, "Theta's diagonal"), grid->comm);
    if (status != NTK_OK)
        return status;
    for (int64_t j = 0; j < t->local_cols; ++j) {
        const int64_t g = grid_global_index(j, grid->block, grid->mycol, grid->cols);
        if (grid_owner(g, grid->block, grid->rows) != grid->myrow)
            continue;
        const int64_t i = (g / ((int64_t)grid->block * grid->rows)) * grid->block + g % grid->block;
        all[g] = t->data[j * lld + i];
    }
    if (status == NTK_OK)
        status = ntk_allreduce_sum(NULL, all, t->rows, grid->comm);
    if (status == NTK_OK && s->op.own_rows > 0)
        memcpy(diagonal, all + s->op.first_row, sizeof(double) * (size_t)s->op.own_rows);
    free(all);
    return status;
}

ntk_status cg_stored_create(const ntk_grid *grid, ntk_dmatrix *theta, int lower_only,
                            int64_t first_row, int64_t own_rows, cg_stored *s)
{
    memset(s, 0, sizeof *s);
    s->grid = grid;
    s->theta = theta;
    if (lower_only)
        NTK_TRY(dmatrix_symmetrize_from_lower(grid, theta));
    s->op.comm = grid->comm;
    s->op.size = theta->rows;
    s->op.own_rows = own_rows;
    s->op.first_row = first_row;
    s->op.name = "stored";
    s->op.context = s;
    s->op.apply = stored_apply;
    s->op.columns = stored_columns;
    s->op.diagonal = stored_diagonal;
    return NTK_OK;
}
