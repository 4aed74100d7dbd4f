/* Forward and backward passes whose GEMMs run in float32 (kernel.precision
 * float32 and mixed: docs/precision.md, "How float32 computes Theta").
 *
 * A layer type with forward_single / backward_single (model/layer.h; dense)
 * computes its batched GEMM as an SGEMM of float copies of its operands and
 * promotes the product to double: the weights are rounded to float once
 * (model_single_passes_create), the batch's inputs or cotangents into a
 * reused float scratch. Everything between the layers (activations, the
 * values and cotangents ntk_features keeps) stays float64, so the passes
 * differ from float64's by the GEMMs' float32 rounding alone.
 *
 * Rank independence: OpenBLAS's SGEMM rounds an entry differently depending
 * on the shape of the call and the entry's place in it, while an entry never
 * depends on the values of the other rows. So the inputs are cut into units
 * of `unit` consecutive inputs at global indices that are multiples of
 * `unit`, and every SGEMM is one whole unit's: unit x rows-per-input rows,
 * each input of the batch at its own row of the unit, the rows of inputs
 * the batch does not hold set to zero. An input's values then depend on its
 * global index and `unit` alone, not on how many inputs a rank holds or
 * where its batches start (batches that start at unit boundaries only avoid
 * computing zero rows). */
#ifndef NTK_MODEL_SINGLE_PASSES_H
#define NTK_MODEL_SINGLE_PASSES_H

#include <stdint.h>

#include "core/status.h"
#include "model/model.h"

typedef struct ntk_single_passes {
    int64_t unit;                      /* inputs per SGEMM */
    int64_t first;                     /* global index of the batch's first input */
    float *weight[NTK_MAX_DENSE + 2];  /* layer l's weights as floats (a layer with
                                        * forward_single), NULL otherwise */
    float *operand, *product;          /* SGEMM scratch, `capacity` floats each */
    int64_t capacity;
} ntk_single_passes;

/* Floats a model_single_passes_create of a model with layers `stack`
 * holds: the float weights and the two scratch buffers (plan counts them;
 * *capacity, when not NULL, the floats of each buffer). */
double model_single_passes_floats(const ntk_layer *stack, int n_stack, int k, int64_t unit,
                                  int64_t *capacity);

/* The passes of `model` in units of `unit` inputs: its weights rounded to
 * float, the scratch for one unit. Rank-local. */
ntk_status model_single_passes_create(const ntk_model *model, int64_t unit,
                                      ntk_single_passes **pass);
void model_single_passes_free(ntk_single_passes *pass);

/* out = scale * in op(W) for the batch's `count` inputs, each `rows` rows
 * (count * rows x depth doubles in, count * rows x n doubles out, row-major),
 * W floats: n x depth row-major when `transposed` (in W^T), else depth x n
 * (in W). One SGEMM per unit the batch touches (above), the product
 * promoted to double and scaled in double. */
void model_single_gemm(const ntk_single_passes *pass, int64_t rows, const double *in,
                       int64_t count, int64_t depth, const float *weight, int transposed,
                       int64_t n, double scale, double *out);

#endif
