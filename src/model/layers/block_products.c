/* Matrix-free products of any layer with a Jacobian block (model/layer.h):
 * the layer's part of J^T v and J u from its own jacobian_block, so that a
 * new layer type with parameters gets spectrum.solver matrix_free and
 * training by naming these in its table.
 *
 * Per input x the whole block B(x) (k rows, one per logit, of the layer's
 * weights then its bias slots) is written by jacobian_block; then
 *   param_vjp: grad += B(x)^T weight(x)          (one DGEMV)
 *   param_jvp: out(x) += B(x) direction          (one DGEMV)
 * over the layer's own parameters: its weights, and its bias slots only when
 * it has biases (the block carries zeros there otherwise). That is one
 * input's block at a time, k x (parameters) doubles: a layer whose block is
 * large, or whose products have a cheaper form (dense, conv: one GEMM over
 * the batch), writes its own. */
#include <cblas.h>
#include <limits.h>
#include <stdlib.h>

#include "core/memory.h"
#include "model/model.h"

typedef struct {
    int64_t rows, width;     /* the block per logit: rows x row width values */
    int64_t own;             /* the layer's own parameters: its leading `own` columns */
    int64_t scratch_doubles; /* jacobian_block's */
    double *block, *scratch;
} block_workspace;

static ntk_status block_workspace_make(const ntk_layer *layer, const ntk_model *model, int k,
                                       block_workspace *work)
{
    const int l = layer->param;
    ntk_block_shape shape = {0};
    layer->ops->block_shape(layer, &shape);
    const ntk_tensor_shape *weight = &model->weight_shape[l], *bias = &model->bias_shape[l];
    work->rows = shape.rows;
    work->width = shape.rows * shape.row_width;
    work->own = weight->count + (model->has_bias[l] ? bias->count : 0);
    work->scratch_doubles = ntk_block_scratch_doubles(&shape, k);
    work->block = work->scratch = NULL;
    /* The block is the weight tensor then the bias slots (jacobian_block's
     * contract), and one logit's row must fit a BLAS int. */
    if (work->width != weight->count + bias->count || work->width > INT_MAX)
        return NTK_RAISE(NTK_ERR_INTERNAL,
                         "%s layer: its Jacobian block (%lld x %lld) does not match its "
                         "%lld weights and %lld bias slots",
                         layer->ops->name, (long long)shape.rows, (long long)shape.row_width,
                         (long long)weight->count, (long long)bias->count);
    NTK_TRY(NTK_CALLOC(work->block, (int64_t)k * work->width + 1,
                       "Jacobian block of a matrix-free product"));
    ntk_status status = NTK_CALLOC(work->scratch, work->scratch_doubles + 1,
                                   "Jacobian block scratch of a matrix-free product");
    if (status != NTK_OK) {
        free(work->block);
        work->block = NULL;
    }
    return status;
}

static void block_workspace_free(block_workspace *work)
{
    free(work->block);
    free(work->scratch);
}

/* B(x), k x width, for input x of the batch. */
static void block_of(const ntk_layer *layer, const ntk_model *model, const double *in,
                     const double *cot_out, int64_t x, int k, block_workspace *work)
{
    layer->ops->jacobian_block(layer, model, in + x * layer->in.size,
                               cot_out + x * k * layer->out.size, k, 0, work->rows,
                               work->scratch, work->block);
}

ntk_status ntk_layer_param_vjp_by_block(const ntk_layer *layer, const ntk_model *model,
                                        const double *in, const double *cot_out, int64_t count,
                                        int k, const double *weight, double *scratch,
                                        double *grad)
{
    (void)scratch;
    if (count < 1)
        return NTK_OK;
    block_workspace work;
    NTK_TRY(block_workspace_make(layer, model, k, &work));
    for (int64_t x = 0; x < count; ++x) {
        block_of(layer, model, in, cot_out, x, k, &work);
        cblas_dgemv(CblasRowMajor, CblasTrans, k, (int)work.own, 1.0, work.block,
                    (int)work.width, weight + x * k, 1, 1.0, grad, 1);
    }
    block_workspace_free(&work);
    return NTK_OK;
}

ntk_status ntk_layer_param_jvp_by_block(const ntk_layer *layer, const ntk_model *model,
                                        const double *in, const double *cot_out, int64_t count,
                                        int k, const double *direction, double *scratch,
                                        double *out)
{
    (void)scratch;
    if (count < 1)
        return NTK_OK;
    block_workspace work;
    NTK_TRY(block_workspace_make(layer, model, k, &work));
    for (int64_t x = 0; x < count; ++x) {
        block_of(layer, model, in, cot_out, x, k, &work);
        cblas_dgemv(CblasRowMajor, CblasNoTrans, k, (int)work.own, 1.0, work.block,
                    (int)work.width, direction, 1, 1.0, out + x * k, 1);
    }
    block_workspace_free(&work);
    return NTK_OK;
}

/* Each half: the block, then k width multiply-adds; no lent scratch, the
 * block and jacobian_block's scratch allocated once per call whatever the
 * batch. */
void ntk_layer_block_products_cost(const ntk_layer *layer, int k, double block_flops,
                                   ntk_layer_cost *cost)
{
    ntk_block_shape shape = {0};
    layer->ops->block_shape(layer, &shape);
    const double block = (double)k * (double)shape.rows * (double)shape.row_width;
    cost->product_flops = 2.0 * (block_flops + block);
    cost->product_width = 0;
    cost->product_scratch_doubles = block + (double)ntk_block_scratch_doubles(&shape, k);
    cost->product_scratch_limit = cost->product_scratch_doubles;
}
