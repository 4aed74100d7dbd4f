/* The generic matrix-free products (model/layers/block_products.c), forced
 * on the layers that have hand-written ones, dense and conv, over networks
 * with and without biases, both parameterisations, k = 1 and 3:
 *   - ntk_layer_param_vjp_by_block / _jvp_by_block equal each layer's own
 *     param_vjp / param_jvp to 1e-12 (relative to the largest entry), both
 *     adding to what the buffers hold;
 *   - both equal J^T w and J u from the explicit Jacobian rows
 *     (model_jacobian_rows, an independent path) to 1e-12;
 *   - a model whose layer tables are copies with only the generic products
 *     is accepted by matrix_free (mf_missing_ops_layer) and its training
 *     gradient (training_block_gradient) equals the hand-written one;
 *   - layer_norm and batch_norm, which have only the generic products
 *     (gamma, beta and running statistics perturbed), against the rows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "model_test_util.h"
#include "spectrum/parpack/matrix_free.h"
#include "train/gradient.h"

extern const ntk_layer_ops ntk_layer_conv, ntk_layer_flatten, ntk_layer_layer_norm,
    ntk_layer_batch_norm;

enum { COUNT = 5 };

static double max_abs(const double *v, int64_t n)
{
    double m = 0.0;
    for (int64_t i = 0; i < n; ++i)
        m = fmax(m, fabs(v[i]));
    return m;
}

static double max_diff(const double *a, const double *b, int64_t n)
{
    double m = 0.0;
    for (int64_t i = 0; i < n; ++i)
        m = fmax(m, fabs(a[i] - b[i]));
    return m;
}

static void fill(double *v, int64_t n, uint64_t seed)
{
    for (int64_t i = 0; i < n; ++i)
        v[i] = ntk_random_normal(seed, 31, (uint64_t)i);
}

static double *zeros(int64_t n) { return calloc((size_t)(n > 0 ? n : 1), sizeof(double)); }

/* Every layer with parameters: hand-written vs generic vs explicit rows. */
static void check_products(const char *label, const ntk_model *model, const double *x,
                           const ntk_features *features)
{
    const int k = model_outputs(model);
    const int64_t rows = COUNT * k;
    for (int i = 0; i < model->n_stack; ++i) {
        const ntk_layer *layer = &model->stack[i];
        const int l = layer->param;
        if (l == 0)
            continue;
        CHECK(layer->ops->jacobian_block && layer->ops->block_shape && layer->ops->param_vjp,
              "%s: %s has a Jacobian block and its own products", label, layer->ops->name);
        const int64_t first = model_param_offset(model, l);
        const int64_t size = model_param_offset(model, l + 1) - first;
        const double *in = features->input[l], *cot = features->cotangent[l];
        double *weight = zeros(rows), *direction = zeros(size), *base_grad = zeros(size);
        double *base_out = zeros(rows), *scratch = zeros(COUNT * layer->out.size);
        double *own_grad = zeros(size), *generic_grad = zeros(size), *reference_grad = zeros(size);
        double *own_out = zeros(rows), *generic_out = zeros(rows), *reference_out = zeros(rows);
        double *jacobian = zeros(rows * size);
        fill(weight, rows, 1 + (uint64_t)i);
        fill(direction, size, 2 + (uint64_t)i);
        fill(base_grad, size, 3 + (uint64_t)i);
        fill(base_out, rows, 4 + (uint64_t)i);
        /* Both add to what the buffers hold. */
        memcpy(own_grad, base_grad, sizeof(double) * (size_t)size);
        memcpy(generic_grad, base_grad, sizeof(double) * (size_t)size);
        memcpy(own_out, base_out, sizeof(double) * (size_t)rows);
        memcpy(generic_out, base_out, sizeof(double) * (size_t)rows);
        CHECK(layer->ops->param_vjp(layer, model, in, cot, COUNT, k, weight, scratch, own_grad) ==
                      NTK_OK &&
                  ntk_layer_param_vjp_by_block(layer, model, in, cot, COUNT, k, weight, scratch,
                                               generic_grad) == NTK_OK &&
                  layer->ops->param_jvp(layer, model, in, cot, COUNT, k, direction, scratch,
                                        own_out) == NTK_OK &&
                  ntk_layer_param_jvp_by_block(layer, model, in, cot, COUNT, k, direction,
                                               scratch, generic_out) == NTK_OK,
              "%s: layer %d products: %s", label, i, ntk_error_message());
        /* J^T w and J u from the explicit rows of this layer's parameters. */
        CHECK(model_jacobian_rows(model, x, COUNT, first, size, jacobian) == NTK_OK,
              "%s: Jacobian rows: %s", label, ntk_error_message());
        memcpy(reference_grad, base_grad, sizeof(double) * (size_t)size);
        memcpy(reference_out, base_out, sizeof(double) * (size_t)rows);
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t p = 0; p < size; ++p) {
                reference_grad[p] += weight[r] * jacobian[r * size + p];
                reference_out[r] += jacobian[r * size + p] * direction[p];
            }
        const double grad_scale = max_abs(reference_grad, size);
        const double out_scale = max_abs(reference_out, rows);
        const double vjp_error = max_diff(generic_grad, own_grad, size) / grad_scale;
        const double jvp_error = max_diff(generic_out, own_out, rows) / out_scale;
        const double vjp_reference = max_diff(generic_grad, reference_grad, size) / grad_scale;
        const double jvp_reference = max_diff(generic_out, reference_out, rows) / out_scale;
        CHECK(grad_scale > 0 && out_scale > 0 && vjp_error <= 1e-12 && jvp_error <= 1e-12,
              "%s: layer %d (%s): generic vs own products differ by %.3g (vjp), %.3g (jvp)",
              label, i, layer->ops->name, vjp_error, jvp_error);
        CHECK(vjp_reference <= 1e-12 && jvp_reference <= 1e-12,
              "%s: layer %d (%s): generic products vs Jacobian rows differ by %.3g (vjp), "
              "%.3g (jvp)", label, i, layer->ops->name, vjp_reference, jvp_reference);
        /* The generic products touch nothing past the layer's own parameters. */
        ntk_layer_cost cost = {0};
        ntk_layer_block_products_cost(layer, k, 0.0, &cost);
        ntk_block_shape shape = {0};
        layer->ops->block_shape(layer, &shape);
        CHECK(cost.product_flops >= 2.0 * (double)k * (double)size &&
                  cost.product_scratch_limit == (double)k * (double)(shape.rows * shape.row_width) +
                                                    (double)shape.scratch_doubles +
                                                    (double)k * (double)shape.scratch_per_logit,
              "%s: layer %d: generic product costs", label, i);
        free(weight), free(direction), free(base_grad), free(base_out), free(scratch);
        free(own_grad), free(generic_grad), free(reference_grad), free(own_out), free(generic_out);
        free(reference_out), free(jacobian);
    }
}

/* The same model with tables that know only the generic products: the
 * matrix-free solver accepts it and training gets the same gradient. */
static void check_generic_model(const char *label, ntk_model *model,
                                const ntk_features *features)
{
    static ntk_layer_ops generic[NTK_MAX_LAYERS];
    const ntk_layer_ops *own[NTK_MAX_LAYERS];
    const int k = model_outputs(model);
    double *targets = zeros(COUNT * k), *own_gradient = zeros(model->n_params);
    double *generic_gradient = zeros(model->n_params);
    fill(targets, COUNT * k, 8);
    double own_error = 0.0, generic_error = 0.0;
    CHECK(training_block_gradient(model, features, targets, (double)(COUNT * k), own_gradient,
                                  &own_error) == NTK_OK,
          "%s: training gradient: %s", label, ntk_error_message());
    for (int i = 0; i < model->n_stack; ++i) {
        own[i] = model->stack[i].ops;
        if (model->stack[i].param == 0)
            continue;
        generic[i] = *own[i];
        generic[i].param_vjp = NULL;
        generic[i].param_jvp = NULL;
        model->stack[i].ops = &generic[i];
    }
    CHECK(mf_missing_ops_layer(model->stack, model->n_stack) >= 0,
          "%s: a layer without products is refused by matrix_free", label);
    for (int i = 0; i < model->n_stack; ++i)
        if (model->stack[i].param > 0) {
            generic[i].param_vjp = ntk_layer_param_vjp_by_block;
            generic[i].param_jvp = ntk_layer_param_jvp_by_block;
        }
    CHECK(mf_missing_ops_layer(model->stack, model->n_stack) == -1,
          "%s: the generic products make the model matrix-free", label);
    CHECK(training_block_gradient(model, features, targets, (double)(COUNT * k),
                                  generic_gradient, &generic_error) == NTK_OK,
          "%s: generic training gradient: %s", label, ntk_error_message());
    const double error = max_diff(generic_gradient, own_gradient, model->n_params) /
                         max_abs(own_gradient, model->n_params);
    CHECK(error <= 1e-12 && generic_error == own_error,
          "%s: training gradient through the generic products differs by %.3g", label, error);
    for (int i = 0; i < model->n_stack; ++i)
        model->stack[i].ops = own[i];
    free(targets), free(own_gradient), free(generic_gradient);
}

/* gamma, beta and batch_norm's running statistics away from their seeded
 * 1, 0, 0, 1, so that every term of the normalisation layers counts. */
static void perturb_normalisation(ntk_model *model)
{
    for (int i = 0; i < model->n_stack; ++i) {
        const ntk_layer *layer = &model->stack[i];
        const int l = layer->param;
        if (l == 0 || !layer->ops->affine)
            continue;
        for (int64_t c = 0; c < model->weight_shape[l].count; ++c) {
            model->weight[l][c] = 1.0 + 0.5 * ntk_random_normal(70, (uint64_t)l, (uint64_t)c);
            if (model->has_bias[l])
                model->bias[l][c] = 0.3 * ntk_random_normal(71, (uint64_t)l, (uint64_t)c);
        }
        const int64_t size = layer->ops->n_buffers > 0 ? layer->ops->buffer_size(layer) : 0;
        for (int64_t c = 0; c < size; ++c) {
            model->buffer[l][c] = 0.4 * ntk_random_normal(72, (uint64_t)l, (uint64_t)c);
            model->buffer[l][size + c] =
                0.5 + fabs(ntk_random_normal(73, (uint64_t)l, (uint64_t)c));
        }
    }
}

static void run_case(const char *label, const ntk_model_spec *spec, const ntk_shape *input)
{
    ntk_model model;
    if (model_create_shaped(spec, input, &model) != NTK_OK) {
        CHECK(0, "%s: model_create: %s", label, ntk_error_message());
        return;
    }
    perturb_normalisation(&model);
    const int64_t dim = input->size;
    double *x = zeros(COUNT * dim);
    test_inputs(x, COUNT, dim, 5);
    ntk_features features;
    if (model_features(&model, x, COUNT, &features) != NTK_OK) {
        CHECK(0, "%s: features: %s", label, ntk_error_message());
    } else {
        check_products(label, &model, x, &features);
        check_generic_model(label, &model, &features);
        model_features_free(&features);
    }
    free(x);
    model_destroy(&model);
}

static ntk_layer_spec with(const ntk_layer_ops *ops, int64_t a, int64_t b, int64_t c)
{
    ntk_layer_spec layer = {ops, {a, b, c, 1, 1, 0, 0, 0}, 0, 0, ""};
    return layer;
}

int main(void)
{
    int cases = 0;
    for (int param = 0; param < 2; ++param)
        for (int bias = 0; bias < 2; ++bias)
            for (int k = 1; k <= 3; k += 2) {
                ntk_model_spec spec;
                memset(&spec, 0, sizeof spec);
                spec.parameterization = (ntk_parameterization)param;
                spec.w_std = 1.3;
                spec.b_std = bias ? 0.4 : 0.0;
                spec.seed = 40 + (uint64_t)cases;
                char label[128];

                /* dense: 6 -> 7 (gelu) -> 5 (tanh) -> k */
                int n = 0;
                spec.layers[n++] = with(&ntk_layer_dense, 7, 0, 0);
                spec.layers[n++] = with(&ntk_layer_gelu, 0, 0, 0);
                spec.layers[n++] = with(&ntk_layer_dense, 5, 0, 0);
                spec.layers[n++] = with(&ntk_layer_tanh, 0, 0, 0);
                spec.layers[n++] = with(&ntk_layer_dense, k, 0, 0);
                spec.n_layers = n;
                const ntk_shape flat = {1, {6, 0, 0}, 6};
                snprintf(label, sizeof label, "dense/%s/%s/k=%d", param ? "standard" : "ntk",
                         bias ? "bias" : "nobias", k);
                run_case(label, &spec, &flat);
                ++cases;

                /* conv: (5, 4, 2) -> conv 3 channels 3x2 (relu) -> conv 2 channels 2x2
                 * (erf) -> flatten -> k */
                n = 0;
                spec.layers[n++] = with(&ntk_layer_conv, 3, 3, 2);
                spec.layers[n++] = with(&ntk_layer_relu, 0, 0, 0);
                spec.layers[n++] = with(&ntk_layer_conv, 2, 2, 2);
                spec.layers[n++] = with(&ntk_layer_erf, 0, 0, 0);
                spec.layers[n++] = with(&ntk_layer_flatten, 0, 0, 0);
                spec.layers[n++] = with(&ntk_layer_dense, k, 0, 0);
                spec.n_layers = n;
                const ntk_shape image = {3, {5, 4, 2}, 40};
                snprintf(label, sizeof label, "conv/%s/%s/k=%d", param ? "standard" : "ntk",
                         bias ? "bias" : "nobias", k);
                run_case(label, &spec, &image);
                ++cases;

                /* normalisation: (5, 4, 2) -> conv 3 channels 3x2 -> batch_norm
                 * (relu) -> flatten -> dense 7 -> layer_norm (gelu) -> dense 6 ->
                 * batch_norm -> layer_norm -> k: their generic products
                 * against the Jacobian rows, and training through them */
                n = 0;
                spec.layers[n++] = with(&ntk_layer_conv, 3, 3, 2);
                spec.layers[n] = with(&ntk_layer_batch_norm, 0, 0, 0);
                ntk_layer_default_options(spec.layers[n].ops, spec.layers[n].option);
                ++n;
                spec.layers[n++] = with(&ntk_layer_relu, 0, 0, 0);
                spec.layers[n++] = with(&ntk_layer_flatten, 0, 0, 0);
                spec.layers[n++] = with(&ntk_layer_dense, 7, 0, 0);
                spec.layers[n] = with(&ntk_layer_layer_norm, 0, 0, 0);
                ntk_layer_default_options(spec.layers[n].ops, spec.layers[n].option);
                ++n;
                spec.layers[n++] = with(&ntk_layer_gelu, 0, 0, 0);
                spec.layers[n++] = with(&ntk_layer_dense, 6, 0, 0);
                spec.layers[n] = with(&ntk_layer_batch_norm, 0, 0, 0);
                ntk_layer_default_options(spec.layers[n].ops, spec.layers[n].option);
                ++n;
                spec.layers[n] = with(&ntk_layer_layer_norm, 0, 0, 0);
                ntk_layer_default_options(spec.layers[n].ops, spec.layers[n].option);
                ++n;
                spec.layers[n++] = with(&ntk_layer_dense, k, 0, 0);
                spec.n_layers = n;
                snprintf(label, sizeof label, "norm/%s/%s/k=%d", param ? "standard" : "ntk",
                         bias ? "bias" : "nobias", k);
                run_case(label, &spec, &image);
                ++cases;
            }
    if (failures) {
        fprintf(stderr, "%d failures in %d cases\n", failures, cases);
        return 1;
    }
    printf("ok: generic products equal the hand-written ones in %d networks\n", cases);
    return 0;
}
