/* The product Theta V = J (J^T V) over the own inputs (see matrix_free.h). */
#include "spectrum/parpack/matrix_free.h"
#include "core/mpi_sum.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int mf_missing_ops_layer(const ntk_layer *stack, int n_stack)
{
    for (int i = 0; i < n_stack; ++i) {
        const ntk_layer_ops *ops = stack[i].ops;
        if (ntk_layer_has_parameters(ops) && (ops->param_vjp == NULL || ops->param_jvp == NULL))
            return i;
    }
    return -1;
}

ntk_status mf_operator_create(const ntk_model *model, const ntk_input_block *inputs,
                              MPI_Comm comm, int full, int stored, int64_t batch,
                              int64_t max_vectors, mf_operator *op)
{
    memset(op, 0, sizeof *op);
    op->model = model;
    op->inputs = inputs;
    op->comm = comm;
    op->full = full;
    op->k = model_outputs(model);
    op->channels = full ? 1 : op->k;
    op->rows = full ? inputs->count * op->k : inputs->count;
    op->first_row = full ? inputs->first * op->k : inputs->first;
    op->n_params = model->n_params;
    op->stored = stored;
    op->max_vectors = max_vectors;
    /* Passes of `batch` inputs either way, so the per-pass buffers (row
     * weights, partial products, the layers' scratch and conv patch
     * matrices) stay bounded. Stored: the features of all own inputs, kept,
     * a pass takes views of them; recompute: a fresh forward/backward pass
     * per batch, redone for each half of every product. */
    op->batch = batch > inputs->count || batch < 1 ? inputs->count : batch;
    if (op->batch < 1)
        op->batch = 1;
    int64_t widest = 1;
    for (int i = 0; i < model->n_stack; ++i)
        if (model->stack[i].param > 0 && model->stack[i].out.size > widest)
            widest = model->stack[i].out.size;
    ntk_status status = NTK_OK;
    if (stored && inputs->count > 0)
        status = model_features(model, inputs->x, inputs->count, &op->features);
    else
        status = model_features_reserve(model, op->batch, &op->features);
    if (status == NTK_OK)
        status = NTK_CALLOC(op->gradient, max_vectors * op->channels * op->n_params,
                            "matrix-free parameter buffers");
    if (status == NTK_OK)
        status = NTK_CALLOC(op->weight, op->batch * op->k, "matrix-free row weights");
    if (status == NTK_OK)
        status = NTK_CALLOC(op->partial, op->batch * op->k, "matrix-free partial products");
    if (status == NTK_OK)
        status = NTK_CALLOC(op->scratch, op->batch * widest, "matrix-free scratch");
    if (status != NTK_OK)
        mf_operator_destroy(op);
    return status;
}

void mf_operator_destroy(mf_operator *op)
{
    model_features_free(&op->features);
    free(op->gradient);
    free(op->weight);
    free(op->partial);
    free(op->scratch);
    op->gradient = op->weight = op->partial = op->scratch = NULL;
}

/* The features of own inputs [first, first + count): views into the stored
 * ones, or a fresh forward/backward pass into the batch buffers. */
static ntk_status batch_features(mf_operator *op, int64_t first, int64_t count,
                                 int64_t *offset)
{
    if (op->stored) {
        *offset = first;
        return NTK_OK;
    }
    *offset = 0;
    return model_features_into(op->model, op->inputs->x + first * op->inputs->dim, count,
                                &op->features);
}

/* The pointers of parameter layer l's input and cotangents for a batch. */
static void layer_views(const mf_operator *op, const ntk_layer *layer, int64_t offset,
                        const double **in, const double **cot)
{
    const int l = layer->param;
    *in = op->features.input[l] + offset * layer->in.size;
    *cot = op->features.cotangent[l] + offset * op->k * layer->out.size;
}

/* gradient(j, c) += J_c^T v_j restricted to the batch's rows. */
static ntk_status accumulate_vjp(mf_operator *op, const double *v, int64_t columns, int64_t ld,
                                 int64_t first, int64_t count, int64_t offset)
{
    const ntk_model *model = op->model;
    const int k = op->k;
    const double scale = op->full ? 1.0 : 1.0 / sqrt((double)k);
    for (int64_t j = 0; j < columns; ++j)
        for (int c = 0; c < op->channels; ++c) {
            for (int64_t x = 0; x < count; ++x)
                for (int o = 0; o < k; ++o) {
                    double w;
                    if (op->full)
                        w = v[j * ld + (first + x) * k + o];
                    else
                        w = o == c ? scale * v[j * ld + first + x] : 0.0;
                    op->weight[x * k + o] = w;
                }
            double *g = op->gradient + (j * op->channels + c) * op->n_params;
            for (int i = 0; i < model->n_stack; ++i) {
                const ntk_layer *layer = &model->stack[i];
                if (layer->param == 0)
                    continue;
                const double *in, *cot;
                layer_views(op, layer, offset, &in, &cot);
                NTK_TRY(layer->ops->param_vjp(layer, model, in, cot, count, k, op->weight,
                                              op->scratch,
                                              g + model_param_offset(model, layer->param)));
            }
        }
    return NTK_OK;
}

/* y_j += J_c gradient(j, c) on the batch's rows (scaled for the trace). */
static ntk_status accumulate_jvp(mf_operator *op, int64_t columns, int64_t ld, double *y,
                                 int64_t first, int64_t count, int64_t offset)
{
    const ntk_model *model = op->model;
    const int k = op->k;
    const double scale = op->full ? 1.0 : 1.0 / sqrt((double)k);
    for (int64_t j = 0; j < columns; ++j)
        for (int c = 0; c < op->channels; ++c) {
            memset(op->partial, 0, sizeof(double) * (size_t)(count * k));
            const double *g = op->gradient + (j * op->channels + c) * op->n_params;
            for (int i = 0; i < model->n_stack; ++i) {
                const ntk_layer *layer = &model->stack[i];
                if (layer->param == 0)
                    continue;
                const double *in, *cot;
                layer_views(op, layer, offset, &in, &cot);
                NTK_TRY(layer->ops->param_jvp(layer, model, in, cot, count, k,
                                              g + model_param_offset(model, layer->param),
                                              op->scratch, op->partial));
            }
            if (op->full)
                memcpy(y + j * ld + first * k, op->partial, sizeof(double) * (size_t)(count * k));
            else
                for (int64_t x = 0; x < count; ++x)
                    y[j * ld + first + x] += scale * op->partial[x * k + c];
        }
    return NTK_OK;
}

/* One half of a product over the own inputs, batch by batch: J^T V into the
 * gradients (`jvp` 0), or J times them into Y (`jvp` 1). Collective: the
 * status is agreed. */
static ntk_status product_pass(mf_operator *op, int jvp, const double *v, int64_t columns,
                               int64_t ld, double *y)
{
    const int64_t own = op->inputs->count;
    ntk_status status = NTK_OK;
    int64_t offset = 0;
    for (int64_t first = 0; first < own && status == NTK_OK; first += op->batch) {
        const int64_t count = own - first < op->batch ? own - first : op->batch;
        status = batch_features(op, first, count, &offset);
        if (status == NTK_OK && jvp)
            status = accumulate_jvp(op, columns, ld, y, first, count, offset);
        else if (status == NTK_OK)
            status = accumulate_vjp(op, v, columns, ld, first, count, offset);
    }
    return ntk_agree(status, op->comm);
}

ntk_status mf_operator_apply(mf_operator *op, const double *v, int64_t columns, int64_t ld,
                             double *y)
{
    if (columns > op->max_vectors || columns < 0)
        return NTK_RAISE(NTK_ERR_INTERNAL, "matrix-free product of %lld columns, at most %lld",
                         (long long)columns, (long long)op->max_vectors);
    const int64_t total = columns * op->channels * op->n_params;
    memset(op->gradient, 0, sizeof(double) * (size_t)total);
    NTK_TRY(product_pass(op, 0, v, columns, ld, NULL));
    /* The one communication of a product: J^T V summed over the ranks' own inputs. */
    NTK_TRY(ntk_allreduce_sum(NULL, op->gradient, total, op->comm));
    for (int64_t j = 0; j < columns; ++j)
        memset(y + j * ld, 0, sizeof(double) * (size_t)op->rows);
    NTK_TRY(product_pass(op, 1, NULL, columns, ld, y));
    op->products += columns;
    return NTK_OK;
}

/* The Hadamard-form layer's share of the diagonal (its structured term,
 * design notes section 1): sum_o |delta^o(x)|^2 (c^2 |h(x)|^2 + s^2). */
static double hadamard_diagonal(const mf_operator *op, const ntk_layer *layer,
                                const ntk_structured_term *term, const double *in,
                                const double *cot, int64_t count)
{
    const ntk_model *model = op->model;
    const int l = layer->param, k = op->k;
    const double c = model->weight_scale[l];
    const double s = model->has_bias[l] ? model->bias_scale[l] : 0.0;
    double sum = 0.0;
    for (int64_t x = 0; x < count; ++x) {
        double a2 = 0.0, d2 = 0.0;
        for (int64_t j = 0; j < term->input_width; ++j)
            a2 += in[x * term->input_width + j] * in[x * term->input_width + j];
        const double *d = cot + x * k * term->cotangent_width;
        for (int64_t j = 0; j < k * term->cotangent_width; ++j)
            d2 += d[j] * d[j];
        sum += d2 * (c * c * a2 + s * s);
    }
    return sum;
}

/* Any other layer's share (conv, whose weights are shared over positions):
 * |d f_o(x) / d theta_l|^2 per row (x, o), the row from param_vjp with a
 * one-hot weight into `row` (the layer's parameter count). */
static ntk_status product_diagonal(mf_operator *op, const ntk_layer *layer, const double *in,
                                   const double *cot, int64_t count, double *row,
                                   double *sum)
{
    const ntk_model *model = op->model;
    const int l = layer->param, k = op->k;
    const int64_t size = model->param_offset[l + 1] - model->param_offset[l];
    for (int64_t x = 0; x < count; ++x)
        for (int o = 0; o < k; ++o) {
            memset(op->weight, 0, sizeof(double) * (size_t)k);
            op->weight[o] = 1.0;
            memset(row, 0, sizeof(double) * (size_t)size);
            NTK_TRY(layer->ops->param_vjp(layer, model, in + x * layer->in.size,
                                          cot + x * k * layer->out.size, 1, k, op->weight,
                                          op->scratch, row));
            for (int64_t p = 0; p < size; ++p)
                *sum += row[p] * row[p];
        }
    return NTK_OK;
}

/* Which layers' share of Theta's diagonal comes from norms (the Hadamard
 * form, hadamard[i]) and which from Jacobian rows; returns the parameters of
 * the largest layer done by rows (the row buffer's length). */
static int64_t diagonal_terms(const mf_operator *op, ntk_structured_term *term, int *hadamard)
{
    const ntk_model *model = op->model;
    int64_t largest = 1;
    for (int i = 0; i < model->n_stack; ++i) {
        const ntk_layer *layer = &model->stack[i];
        hadamard[i] = 0;
        if (layer->param == 0)
            continue;
        memset(&term[i], 0, sizeof term[i]);
        if (layer->ops->structured_term != NULL) {
            layer->ops->structured_term(layer, op->k, op->full, &term[i]);
            hadamard[i] = term[i].block_width == 0 && !term[i].pairwise;
        }
        const int64_t size =
            model->param_offset[layer->param + 1] - model->param_offset[layer->param];
        if (!hadamard[i] && size > largest)
            largest = size;
    }
    return largest;
}

/* trace(Theta) exactly from the features: each layer's share of the
 * diagonal, summed over the own inputs and the ranks (the trace kernel's is
 * that over k). A layer whose structured term is the Hadamard form (dense)
 * gives it from norms of its input and cotangents; any other from its rows
 * of the Jacobian (product_diagonal). Collective. */
ntk_status mf_operator_trace(mf_operator *op, double *trace)
{
    const ntk_model *model = op->model;
    const int k = op->k;
    ntk_structured_term term[NTK_MAX_LAYERS];
    int hadamard[NTK_MAX_LAYERS];
    const int64_t largest = diagonal_terms(op, term, hadamard);
    double *row = NULL;
    ntk_status status = NTK_CALLOC(row, largest, "a Jacobian row for trace(Theta)");
    double local = 0.0;
    int64_t offset = 0;
    for (int64_t first = 0; first < op->inputs->count && status == NTK_OK; first += op->batch) {
        const int64_t count =
            op->inputs->count - first < op->batch ? op->inputs->count - first : op->batch;
        status = batch_features(op, first, count, &offset);
        for (int i = 0; i < model->n_stack && status == NTK_OK; ++i) {
            const ntk_layer *layer = &model->stack[i];
            if (layer->param == 0)
                continue;
            const double *in, *cot;
            layer_views(op, layer, offset, &in, &cot);
            if (hadamard[i])
                local += hadamard_diagonal(op, layer, &term[i], in, cot, count);
            else
                status = product_diagonal(op, layer, in, cot, count, row, &local);
        }
    }
    free(row);
    NTK_TRY(ntk_agree(status, op->comm));
    double sum = 0.0;
    NTK_MPI(MPI_Allreduce(&local, &sum, 1, MPI_DOUBLE, MPI_SUM, op->comm));
    *trace = op->full ? sum : sum / (double)k;
    return NTK_OK;
}

/* Theta's diagonal at the own rows (matrix_free.h): per row (x, o) each
 * layer's share, from norms (the Hadamard form) or from the Jacobian row by
 * param_vjp (any other layer), as for the trace; the trace kernel's row x
 * is the mean over o. Collective (the status is agreed). */
ntk_status mf_operator_diagonal(mf_operator *op, double *diagonal)
{
    const ntk_model *model = op->model;
    const int k = op->k;
    ntk_structured_term term[NTK_MAX_LAYERS];
    int hadamard[NTK_MAX_LAYERS];
    const int64_t largest = diagonal_terms(op, term, hadamard);
    double *row = NULL;
    ntk_status status = NTK_CALLOC(row, largest, "a Jacobian row for Theta's diagonal");
    memset(diagonal, 0, sizeof(double) * (size_t)op->rows);
    int64_t offset = 0;
    for (int64_t first = 0; first < op->inputs->count && status == NTK_OK; first += op->batch) {
        const int64_t count =
            op->inputs->count - first < op->batch ? op->inputs->count - first : op->batch;
        status = batch_features(op, first, count, &offset);
        for (int i = 0; i < model->n_stack && status == NTK_OK; ++i) {
            const ntk_layer *layer = &model->stack[i];
            if (layer->param == 0)
                continue;
            const double *in, *cot;
            layer_views(op, layer, offset, &in, &cot);
            const int l = layer->param;
            const double c = model->weight_scale[l];
            const double s = model->has_bias[l] ? model->bias_scale[l] : 0.0;
            const int64_t size = model->param_offset[l + 1] - model->param_offset[l];
            for (int64_t x = 0; x < count && status == NTK_OK; ++x) {
                double a2 = 0.0;
                if (hadamard[i])
                    for (int64_t j = 0; j < term[i].input_width; ++j)
                        a2 += in[x * term[i].input_width + j] * in[x * term[i].input_width + j];
                for (int o = 0; o < k && status == NTK_OK; ++o) {
                    double value = 0.0;
                    if (hadamard[i]) {
                        const int64_t width = term[i].cotangent_width;
                        const double *d = cot + (x * k + o) * width;
                        double d2 = 0.0;
                        for (int64_t j = 0; j < width; ++j)
                            d2 += d[j] * d[j];
                        value = d2 * (c * c * a2 + s * s);
                    } else {
                        memset(op->weight, 0, sizeof(double) * (size_t)k);
                        op->weight[o] = 1.0;
                        memset(row, 0, sizeof(double) * (size_t)size);
                        status = layer->ops->param_vjp(layer, model, in + x * layer->in.size,
                                                       cot + x * k * layer->out.size, 1, k,
                                                       op->weight, op->scratch, row);
                        for (int64_t p = 0; p < size; ++p)
                            value += row[p] * row[p];
                    }
                    if (op->full)
                        diagonal[(first + x) * k + o] += value;
                    else
                        diagonal[first + x] += value / (double)k;
                }
            }
        }
    }
    free(row);
    return ntk_agree(status, op->comm);
}
