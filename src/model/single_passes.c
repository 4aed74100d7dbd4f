/* Float32 GEMMs of the forward and backward passes (model/single_passes.h). */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "model/single_passes.h"

double model_single_passes_floats(const ntk_layer *stack, int n_stack, int k, int64_t unit,
                                  int64_t *capacity)
{
    int64_t most = 1;
    double weights = 0.0;
    for (int i = 0; i < n_stack; ++i) {
        const ntk_layer *layer = &stack[i];
        if (layer->ops->forward_single == NULL || layer->param < 1)
            continue;
        ntk_tensor_shape weight, bias;
        layer->ops->tensors(layer, &weight, &bias);
        weights += (double)weight.count + 1.0;
        ntk_layer_cost cost;
        memset(&cost, 0, sizeof cost);
        layer->ops->cost(layer, k, 0, 0, &cost);
        if (unit * cost.single_scratch_per_unit > most)
            most = unit * cost.single_scratch_per_unit;
        if (cost.single_scratch_floats > most)
            most = cost.single_scratch_floats;
    }
    if (capacity != NULL)
        *capacity = most;
    return weights + 2.0 * (double)most;
}

ntk_status model_single_passes_create(const ntk_model *model, int64_t unit,
                                      ntk_single_passes **pass)
{
    *pass = NULL;
    if (unit < 1)
        return NTK_RAISE(NTK_ERR_INTERNAL, "model: float32 passes in units of %lld inputs",
                         (long long)unit);
    ntk_single_passes *made = NULL;
    NTK_TRY(NTK_CALLOC(made, 1, "float32 passes"));
    made->unit = unit;
    int64_t capacity = 1;
    model_single_passes_floats(model->stack, model->n_stack, model_outputs(model), unit, &capacity);
    ntk_status status = NTK_OK;
    for (int i = 0; status == NTK_OK && i < model->n_stack; ++i) {
        const ntk_layer *layer = &model->stack[i];
        const int l = layer->param;
        if (layer->ops->forward_single == NULL || l < 1)
            continue;
        const int64_t count = model->weight_shape[l].count;
        status = NTK_CALLOC(made->weight[l], count + 1, "float32 weights");
        for (int64_t e = 0; status == NTK_OK && e < count; ++e)
            made->weight[l][e] = (float)model->weight[l][e];
    }
    made->capacity = capacity;
    if (status == NTK_OK)
        status = NTK_CALLOC(made->operand, made->capacity, "float32 pass scratch");
    if (status == NTK_OK)
        status = NTK_CALLOC(made->product, made->capacity, "float32 pass scratch");
    if (status != NTK_OK) {
        model_single_passes_free(made);
        return status;
    }
    *pass = made;
    return NTK_OK;
}

void model_single_passes_free(ntk_single_passes *pass)
{
    if (pass == NULL)
        return;
    for (int l = 0; l < NTK_MAX_DENSE + 2; ++l)
        free(pass->weight[l]);
    free(pass->operand);
    free(pass->product);
    free(pass);
}

void model_single_gemm(const ntk_single_passes *pass, int64_t rows, const double *in,
                       int64_t count, int64_t depth, const float *weight, int transposed,
                       int64_t n, double scale, double *out)
{
    const int64_t unit = pass->unit, m = unit * rows;
    float *a = pass->operand, *c = pass->product;
    int64_t x = 0;
    while (x < count) {
        /* the unit of input x, and the inputs of the batch in it */
        const int64_t place = (pass->first + x) % unit;
        const int64_t held = count - x < unit - place ? count - x : unit - place;
        if (held < unit) /* rows of inputs the batch does not hold: zero */
            memset(a, 0, (size_t)(m * depth) * sizeof *a);
        const double *src = in + x * rows * depth;
        float *dst = a + place * rows * depth;
        for (int64_t e = 0; e < held * rows * depth; ++e)
            dst[e] = (float)src[e];
        cblas_sgemm(CblasRowMajor, CblasNoTrans, transposed ? CblasTrans : CblasNoTrans, (int)m,
                    (int)n, (int)depth, 1.0f, a, (int)depth, weight,
                    (int)(transposed ? depth : n), 0.0f, c, (int)n);
        const float *product = c + place * rows * n;
        double *result = out + x * rows * n;
        for (int64_t e = 0; e < held * rows * n; ++e)
            result[e] = scale * (double)product[e];
        x += held;
    }
}
