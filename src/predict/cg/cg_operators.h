/* The two operators of predict.solver cg (cg.h): the stored distributed
 * Theta (cg_stored.c) and the matrix-free J (J^T V) products
 * (cg_matrix_free.c). Each embeds its cg_operator, whose context points back
 * at it: keep the struct where it was created. */
#ifndef NTK_PREDICT_CG_CG_OPERATORS_H
#define NTK_PREDICT_CG_CG_OPERATORS_H

#include "kernel/kernel.h"
#include "model/model.h"
#include "predict/cg/cg.h"
#include "spectrum/parpack/matrix_free.h"

typedef struct {
    cg_operator op;
    const ntk_grid *grid;
    ntk_dmatrix *theta; /* borrowed, made whole when assembled lower-only */
} cg_stored;

/* `theta` on `grid`; `lower_only`: only its lower triangle was assembled
 * (it is mirrored here). Own rows [first_row, first_row + own_rows).
 * Collective. */
ntk_status cg_stored_create(const ntk_grid *grid, ntk_dmatrix *theta, int lower_only,
                            int64_t first_row, int64_t own_rows, cg_stored *stored);

typedef struct {
    cg_operator op;
    mf_operator products;               /* spectrum/parpack */
    const ntk_kernel_config *kernel;    /* the cross kernel for columns */
    const ntk_model *model;
    const ntk_grid *grid;
    const ntk_input_block *inputs;      /* the training inputs' own block */
    int per_item;                       /* rows per input: k (full) or 1 (trace) */
} cg_matrix_free;

/* Products for up to `max_columns` columns; `stored_features` keeps the
 * own inputs' features between products. Own rows are the own inputs'.
 * Collective. */
ntk_status cg_matrix_free_create(const ntk_kernel_config *kernel, const ntk_model *model,
                                 const ntk_grid *grid, const ntk_input_block *inputs,
                                 int stored_features, int64_t max_columns, cg_matrix_free *mf);
void cg_matrix_free_destroy(cg_matrix_free *mf);

/* Y = Theta X for replicated M-vectors (column-major, the same on every
 * rank), through the matrix-free operator `context` (a cg_matrix_free):
 * the service's check of the answer (linear_apply_fn). Collective. */
ntk_status cg_matrix_free_apply_replicated(void *context, int64_t columns, const double *x,
                                           double *y);

#endif
