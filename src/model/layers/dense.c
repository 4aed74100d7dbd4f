/* The dense layer {dense: WIDTH} or {dense: {width: WIDTH, bias: false}}:
 * z = c W a + s b, with W (WIDTH x fan_in) in torch.nn.Linear's (out, in)
 * row-major layout and b optional (model.b_std or the weights file decide;
 * bias: false, torch's bias=False, removes it whatever they say). c, s are the model's scales of this layer
 * (model.c: ntk c = w_std / sqrt(fan_in), s = b_std; standard c = s = 1).
 *
 *   d f_o / d W[i][j] = c delta^o[i] a[j],   d f_o / d b[i] = s delta^o[i]
 *
 * Its structured term is the Hadamard product of the cotangent Gram and the
 * input Gram (design notes, section 1); its infinite-width map is the
 * Gaussian layer Sigma' = w_std^2 K / n + b_std^2 (without b_std^2 when the
 * layer has no bias), Theta' = Sigma' + w_std^2 E[phi' phi'] Theta. */
#include <cblas.h>
#include <stdio.h>

#include "core/checked_math.h"
#include "model/model.h"
#include "model/single_passes.h"

enum { DENSE_WIDTH = 0, DENSE_BIAS = 1 };

static const ntk_layer_option dense_options[] = {
    {.key = "width", .kind = NTK_OPTION_INT, .slot = DENSE_WIDTH,
     .requirement = "a positive integer", .minimum = 1, .maximum = INT64_MAX, .default_value = 0,
     .required = 1},
    /* torch's bias=False: no bias parameters */
    {.key = "bias", .kind = NTK_OPTION_BOOL, .slot = DENSE_BIAS, .requirement = "true or false",
     .minimum = 0, .maximum = 1, .default_value = 1, .quiet = 1},
};

static int dense_infer(const int64_t *option, const ntk_shape *in, ntk_shape *out, char *why,
                       size_t why_size)
{
    const int64_t width = option[DENSE_WIDTH], blas_max = 2147483647;
    int64_t weights = 0;
    if (in->rank != 1) {
        snprintf(why, why_size, "a dense layer needs flat inputs (one vector per input), got a "
                 "tensor of rank %d", in->rank);
        return 1;
    }
    if (width > blas_max || in->size > blas_max) {
        snprintf(why, why_size, "%s %lld is too large: BLAS dimensions are at most %lld",
                 width > blas_max ? "width" : "input size", (long long)(width > blas_max ? width : in->size),
                 (long long)blas_max);
        return 1;
    }
    if (ntk_mul_overflow_i64(width, in->size, &weights)) {
        snprintf(why, why_size, "width %lld x %lld inputs overflows the parameter count",
                 (long long)width, (long long)in->size);
        return 1;
    }
    *out = (ntk_shape){1, {width, 0, 0}, width};
    return 0;
}

static void dense_tensors(const ntk_layer *layer, ntk_tensor_shape *weight, ntk_tensor_shape *bias)
{
    const int64_t n_out = layer->out.size, n_in = layer->in.size;
    *weight = (ntk_tensor_shape){2, {n_out, n_in, 0, 0}, n_out * n_in};
    *bias = (ntk_tensor_shape){1, {n_out, 0, 0, 0}, n_out};
}

static int64_t dense_fan_in(const ntk_layer *layer) { return layer->in.size; }

/* out[x] += c_b b for each of the count rows, when the layer has a bias. */
static void add_bias(const ntk_model *model, int l, int64_t count, int64_t n_out, double *out)
{
    if (!model->has_bias[l])
        return;
    const double s = model->bias_scale[l];
    const double *b = model->bias[l];
    for (int64_t x = 0; x < count; ++x)
        for (int64_t j = 0; j < n_out; ++j)
            out[x * n_out + j] += s * b[j];
}

/* z = c a W^T + s b for `count` rows: a is count x n_in, W is n_out x n_in. */
static void dense_forward(const ntk_layer *layer, const ntk_model *model, const double *in,
                          int64_t count, double *out, double *saved)
{
    (void)saved;
    const int l = layer->param;
    const int64_t n_in = layer->in.size, n_out = layer->out.size;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)count, (int)n_out, (int)n_in,
                model->weight_scale[l], in, (int)n_in, model->weight[l], (int)n_in, 0.0, out,
                (int)n_out);
    add_bias(model, l, count, n_out, out);
}

/* cot_in = c cot_out W, batched over all (x, o) rows. */
static void dense_backward(const ntk_layer *layer, const ntk_model *model, const double *cot_out,
                           int64_t count, int k, const double *saved, double *cot_in)
{
    (void)saved;
    const int l = layer->param;
    const int64_t n_in = layer->in.size, n_out = layer->out.size;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(count * k), (int)n_in,
                (int)n_out, model->weight_scale[l], cot_out, (int)n_out, model->weight[l],
                (int)n_in, 0.0, cot_in, (int)n_in);
}

/* The two passes with the GEMM in float32 (model/single_passes.h): the
 * weights and the batch rounded to float, the product promoted to double
 * and scaled there, the bias added in double. */
static void dense_forward_single(const ntk_layer *layer, const ntk_model *model,
                                 const ntk_single_passes *pass, const double *in, int64_t count,
                                 double *out, double *saved)
{
    (void)saved;
    const int l = layer->param;
    const int64_t n_in = layer->in.size, n_out = layer->out.size;
    model_single_gemm(pass, 1, in, count, n_in, pass->weight[l], 1, n_out,
                      model->weight_scale[l], out);
    add_bias(model, l, count, n_out, out);
}

static void dense_backward_single(const ntk_layer *layer, const ntk_model *model,
                                  const ntk_single_passes *pass, const double *cot_out,
                                  int64_t count, int k, const double *saved, double *cot_in)
{
    (void)saved;
    const int l = layer->param;
    model_single_gemm(pass, k, cot_out, count, layer->out.size, pass->weight[l], 0,
                      layer->in.size, model->weight_scale[l], cot_in);
}

static void dense_forward_one(const ntk_layer *layer, const ntk_model *model, const double *in,
                              double *out, double *saved)
{
    (void)saved;
    const int l = layer->param;
    const int64_t n_in = layer->in.size, n_out = layer->out.size;
    const double *w = model->weight[l];
    for (int64_t i = 0; i < n_out; ++i) {
        double sum = 0.0;
        for (int64_t j = 0; j < n_in; ++j)
            sum += w[i * n_in + j] * in[j];
        double z = model->weight_scale[l] * sum;
        if (model->has_bias[l])
            z += model->bias_scale[l] * model->bias[l][i];
        out[i] = z;
    }
}

/* cot_in = c W^T cot_out, skipping zero cotangents (a one-hot row at the top). */
static void dense_backward_one(const ntk_layer *layer, const ntk_model *model,
                               const double *cot_out, const double *saved, double *cot_in)
{
    (void)saved;
    const int l = layer->param;
    const int64_t n_in = layer->in.size, n_out = layer->out.size;
    const double c = model->weight_scale[l];
    const double *w = model->weight[l];
    for (int64_t j = 0; j < n_in; ++j)
        cot_in[j] = 0.0;
    for (int64_t i = 0; i < n_out; ++i) {
        double d = c * cot_out[i];
        if (d == 0.0)
            continue;
        for (int64_t j = 0; j < n_in; ++j)
            cot_in[j] += d * w[i * n_in + j];
    }
}

static void dense_jacobian_one(const ntk_layer *layer, const ntk_model *model, const double *in,
                               const double *cot_out, int64_t begin, int64_t end, double *row)
{
    const int l = layer->param;
    const int64_t n_in = layer->in.size, n_out = layer->out.size;
    const double c = model->weight_scale[l];
    for (int64_t p = begin; p < end; ++p) {
        double value;
        if (p < n_out * n_in)
            value = c * cot_out[p / n_in] * in[p % n_in];
        else
            value = model->bias_scale[l] * cot_out[p - n_out * n_in];
        row[p - begin] = value;
    }
}

/* E(x) = sum_o weight(x, o) delta^o(x); G_W += c E^T A, G_b += s sum_x E(x):
 * one DGEMM over the inputs whatever k is. */
static ntk_status dense_param_vjp(const ntk_layer *layer, const ntk_model *model,
                                  const double *in, const double *cot_out, int64_t count, int k,
                                  const double *weight, double *scratch, double *grad)
{
    const int l = layer->param;
    const int64_t n_in = layer->in.size, n_out = layer->out.size;
    for (int64_t x = 0; x < count; ++x) {
        double *e = scratch + x * n_out;
        for (int64_t j = 0; j < n_out; ++j)
            e[j] = 0.0;
        for (int o = 0; o < k; ++o) {
            const double w = weight[x * k + o];
            const double *delta = cot_out + (x * k + o) * n_out;
            if (w != 0.0)
                for (int64_t j = 0; j < n_out; ++j)
                    e[j] += w * delta[j];
        }
    }
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)n_out, (int)n_in, (int)count,
                model->weight_scale[l], scratch, (int)n_out, in, (int)n_in, 1.0, grad,
                (int)n_in);
    if (model->has_bias[l]) {
        double *bias = grad + n_out * n_in;
        const double s = model->bias_scale[l];
        for (int64_t x = 0; x < count; ++x)
            for (int64_t j = 0; j < n_out; ++j)
                bias[j] += s * scratch[x * n_out + j];
    }
    return NTK_OK;
}

/* Z = c A U_W^T + s u_b (the layer's forward pass with the direction as
 * parameters), then out(x, o) += delta^o(x) . Z(x). */
static ntk_status dense_param_jvp(const ntk_layer *layer, const ntk_model *model,
                                  const double *in, const double *cot_out, int64_t count, int k,
                                  const double *direction, double *scratch, double *out)
{
    const int l = layer->param;
    const int64_t n_in = layer->in.size, n_out = layer->out.size;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)count, (int)n_out, (int)n_in,
                model->weight_scale[l], in, (int)n_in, direction, (int)n_in, 0.0, scratch,
                (int)n_out);
    if (model->has_bias[l]) {
        const double *bias = direction + n_out * n_in;
        const double s = model->bias_scale[l];
        for (int64_t x = 0; x < count; ++x)
            for (int64_t j = 0; j < n_out; ++j)
                scratch[x * n_out + j] += s * bias[j];
    }
    for (int64_t x = 0; x < count; ++x)
        for (int o = 0; o < k; ++o)
            out[x * k + o] += cblas_ddot((int)n_out, cot_out + (x * k + o) * n_out, 1,
                                         scratch + x * n_out, 1);
    return NTK_OK;
}

/* Units [first, first + rows): their weights c delta^o[i] a (an outer
 * product per logit), then their biases s delta^o[i]. The structured kernel
 * uses the Hadamard form instead; this block is what the generic products
 * (layers/block_products.c) build on, the cross-check of the two above. */
static void dense_jacobian_block(const ntk_layer *layer, const ntk_model *model, const double *in,
                                 const double *cot_out, int k, int64_t first, int64_t rows,
                                 double *scratch, double *block)
{
    (void)scratch;
    const int l = layer->param;
    const int64_t n_in = layer->in.size, n_out = layer->out.size;
    const int64_t width = rows * n_in + rows;
    const double c = model->weight_scale[l];
    const double s = model->has_bias[l] ? model->bias_scale[l] : 0.0;
    for (int o = 0; o < k; ++o) {
        const double *delta = cot_out + (int64_t)o * n_out + first;
        double *row = block + o * width;
        for (int64_t i = 0; i < rows; ++i) {
            const double d = c * delta[i];
            for (int64_t j = 0; j < n_in; ++j)
                row[i * n_in + j] = d * in[j];
            row[rows * n_in + i] = s * delta[i];
        }
    }
}

/* A row is one unit: its n_in weights and its bias. */
static void dense_block_shape(const ntk_layer *layer, ntk_block_shape *shape)
{
    shape->rows = layer->out.size;
    shape->row_width = layer->in.size + 1;
    shape->scratch_doubles = 0;
}

static void dense_structured_term(const ntk_layer *layer, int k, int full,
                                  ntk_structured_term *term)
{
    (void)k;
    (void)full;
    term->cotangent_width = layer->out.size;
    term->input_width = layer->in.size;
}

static int dense_analytic(const ntk_layer_spec *layer, const ntk_analytic_context *context,
                          ntk_analytic_state *state)
{
    const double b_std =
        ntk_layer_has_bias_option_on(layer->ops, layer->option) ? context->b_std : 0.0;
    const double w2 = context->w_std * context->w_std, b2 = b_std * b_std;
    const double n = state->normaliser;
    double next_11 = w2 * state->k11 / n + b2;
    double next_22 = w2 * state->k22 / n + b2;
    double next_12 = w2 * state->k12 / n + b2;
    /* The recursion is linear in Theta: layer l's parameters contribute its
     * Sigma term carried up by the later layers' factors, so Theta_l keeps
     * only that term (only_layer) and the sum over l is Theta. */
    state->layers_seen++;
    const int own = state->only_layer == 0 || state->only_layer == state->layers_seen;
    const double own_term = own ? next_12 : 0.0;
    state->theta = state->has_theta ? own_term + w2 * state->derivative * state->theta : own_term;
    state->k11 = next_11;
    state->k22 = next_22;
    state->k12 = next_12;
    state->normaliser = 1.0;
    state->derivative = 1.0;
    state->has_theta = 1;
    state->is_gaussian = 1;
    return 0;
}

/* On flat values: the mean over the positions a flatten kept (its input
 * state is diagonal: a dense layer reads only matching positions, the
 * channel-major flatten order changes nothing in a mean), then the Gaussian
 * layer. One position on flat inputs and after another dense layer. */
static int dense_analytic_spatial(const ntk_layer *layer, const ntk_analytic_context *context,
                                  ntk_spatial_state *state)
{
    (void)layer;
    const double w2 = context->w_std * context->w_std, b2 = context->b_std * context->b_std;
    const int64_t positions = state->positions;
    const int64_t step = state->form == NTK_ANALYTIC_FULL ? positions + 1 : 1;
    double sigma = 0.0, theta = 0.0;
    for (int64_t p = 0; p < positions; ++p) {
        sigma += state->sigma[p * step];
        if (state->has_theta)
            theta += state->theta[p * step];
    }
    const double next = w2 * (sigma / (double)positions) + b2;
    state->next_sigma[0] = next;
    const double own = state->theta_skips_sigma ? 0.0 : next;
    state->next_theta[0] = state->has_theta ? own + w2 * (theta / (double)positions) : own;
    state->positions = 1;
    state->has_theta = 1;
    state->is_gaussian = 1;
    return 0;
}

static ntk_analytic_form dense_analytic_input_form(const ntk_layer *layer,
                                                   ntk_analytic_form output_form)
{
    (void)layer;
    (void)output_form;
    return NTK_ANALYTIC_DIAGONAL;
}

static double dense_analytic_flops(const ntk_layer *layer, int64_t positions,
                                   ntk_analytic_form input_form, ntk_analytic_form output_form,
                                   int quadrature_order)
{
    (void)layer;
    (void)input_form;
    (void)output_form;
    (void)quadrature_order;
    return 2.0 * (double)positions + 6.0;
}

static void dense_cost(const ntk_layer *layer, int k, int full, int quadrature_order,
                       ntk_layer_cost *cost)
{
    (void)quadrature_order;
    const double n_in = (double)layer->in.size, n_out = (double)layer->out.size;
    cost->forward_flops = n_out * n_in;
    cost->backward_flops = n_out * n_in;
    cost->feature_doubles = n_in + (double)k * n_out; /* its input and its output cotangents */
    cost->packed_doubles = n_in + (double)k * n_out;
    cost->tile_flops_per_pair = 2.0 * ((full ? 1.0 : (double)k) * n_out + n_in);
    cost->widest = layer->out.size;
    cost->analytic_pair_flops = 0.0;
    /* Each half: its GEMM and bias (n_out (n_in + 1)) and k n_out for the
     * weighted cotangents (vjp) or the dot products (jvp). */
    cost->product_flops = 2.0 * (n_out * n_in + n_out + (double)k * n_out);
    cost->product_width = layer->out.size;
    cost->single_forward_depth = layer->in.size;
    cost->single_backward_depth = layer->out.size;
    cost->single_scratch_per_unit = (int64_t)k * (layer->in.size > layer->out.size
                                                      ? layer->in.size : layer->out.size);
}

const ntk_layer_ops ntk_layer_dense = {
    .name = "dense",
    .options = dense_options,
    .n_options = 2,
    .infer = dense_infer,
    .tensors = dense_tensors,
    .fan_in = dense_fan_in,
    .saved_doubles = ntk_layer_saves_nothing,
    .forward = dense_forward,
    .backward = dense_backward,
    .forward_single = dense_forward_single,
    .backward_single = dense_backward_single,
    .forward_one = dense_forward_one,
    .backward_one = dense_backward_one,
    .jacobian_one = dense_jacobian_one,
    .structured_term = dense_structured_term,
    .jacobian_block = dense_jacobian_block,
    .block_shape = dense_block_shape,
    .analytic = dense_analytic,
    .analytic_spatial = dense_analytic_spatial,
    .analytic_input_form = dense_analytic_input_form,
    .analytic_spatial_flops = dense_analytic_flops,
    .param_vjp = dense_param_vjp,
    .param_jvp = dense_param_jvp,
    .cost = dense_cost,
};
