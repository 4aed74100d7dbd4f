/* The convolution layer {conv: {channels: C, kernel: K | [kh, kw], stride: S | [sh, sw],
 * padding: same | valid | circular | P | [ph, pw], bias: true | false}}: 2-D on
 * (H, W, C_in) inputs, 1-D on (L, C_in) (scalar kernel, stride and padding),
 * geometry as PyTorch's (conv_geometry.c); bias: false is torch's bias=False.
 *
 *   z[p][o] = c sum_{i, dy, dx} W[o][i][dy][dx] a[src(p, dy, dx)][i] + s b[o]
 *
 * W in torch layout (C_out, C_in, kh, kw) (1-D: (C_out, C_in, k)), so a row of
 * W is one patch in the order (i, dy, dx) and the layer is a matrix product
 * with the patch matrix of the input (im2col). c = w_std / sqrt(kh kw C_in)
 * (ntk), s = b_std; standard: c = s = 1.
 *
 *   d f_o / d W[co][j] = c sum_p delta^o[p][co] patch_p[j],   d f_o / d b[co] = s sum_p delta^o[p][co]
 *
 * The batched passes build the patch matrices of a chunk of inputs (or
 * cotangent rows) in a bounded scratch and run one DGEMM per chunk; if that
 * scratch cannot be had they fall back to the plain loops of the one-input
 * path, which is slower but gives the same values. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked_math.h"
#include "model/layers/conv_geometry.h"
#include "model/layers/conv_products.h"
#include "model/layers/conv_single.h"
#include "model/layers/window_analytic.h"
#include "model/model.h"

/* padding: its choice, then the explicit pair (slots 6, 7) */
enum { CONV_CHANNELS = 0, CONV_KERNEL = 1, CONV_STRIDE = 3, CONV_PADDING = 5, CONV_BIAS = 8 };

/* Doubles of a patch-matrix scratch (32 MiB): inputs or rows are chunked to fit. */
static const int64_t conv_scratch_doubles = (int64_t)1 << 22;

/* Patch size from which conv_jacobian_block gathers the k logits' cotangent
 * columns into one DGEMM: the gather copies each cotangent value once for the
 * `depth` multiply-adds the DGEMM does with it, and below a few dozen the
 * copy costs more than the larger M saves (a first layer on RGB inputs,
 * depth 27, runs slower gathered: docs/performance.md, "The CNN benchmark"). */
static const int64_t conv_gather_min_depth = 64;

static const char *const conv_padding_choices[] = {"same", "valid", "circular", NULL};

static const ntk_layer_option conv_options[] = {
    {.key = "channels", .kind = NTK_OPTION_INT, .slot = CONV_CHANNELS,
     .requirement = "a positive integer", .minimum = 1, .maximum = 2147483647,
     .default_value = 0, .required = 1},
    {.key = "kernel", .kind = NTK_OPTION_PAIR, .slot = CONV_KERNEL,
     .requirement = "a positive integer", .minimum = 1, .maximum = 2147483647,
     .default_value = 0, .required = 1},
    {.key = "stride", .kind = NTK_OPTION_PAIR, .slot = CONV_STRIDE,
     .requirement = "a positive integer", .minimum = 1, .maximum = 2147483647,
     .default_value = 1, .required = 0},
    {.key = "padding", .kind = NTK_OPTION_CHOICE_OR_PAIR, .slot = CONV_PADDING,
     .requirement = "same, valid, circular, or zeros on each side: a non-negative integer",
     .minimum = 0, .maximum = 2147483647, .default_value = CONV_PAD_SAME, .required = 0,
     .choices = conv_padding_choices},
    /* torch's bias=False: no bias parameters */
    {.key = "bias", .kind = NTK_OPTION_BOOL, .slot = CONV_BIAS, .requirement = "true or false",
     .minimum = 0, .maximum = 1, .default_value = 1, .quiet = 1},
};

static int conv_make_geometry(const int64_t *option, const ntk_shape *in, conv_geometry *g,
                              char *why, size_t why_size)
{
    return conv_geometry_make(in, option[CONV_KERNEL], option[CONV_KERNEL + 1],
                              option[CONV_STRIDE], option[CONV_STRIDE + 1],
                              (conv_padding)option[CONV_PADDING], option[CONV_PADDING + 1],
                              option[CONV_PADDING + 2], "kernel", g, why, why_size);
}

static void conv_geometry_of(const ntk_layer *layer, conv_geometry *g)
{
    char why[256];
    (void)conv_make_geometry(layer->option, &layer->in, g, why, sizeof why); /* checked at infer */
}

/* Values per patch: C_in kh kw. */
static int64_t patch_size(const conv_geometry *g) { return g->c_in * g->kh * g->kw; }

static int conv_infer(const int64_t *option, const ntk_shape *in, ntk_shape *out, char *why,
                      size_t why_size)
{
    conv_geometry g;
    const int64_t channels = option[CONV_CHANNELS], blas_max = 2147483647;
    int64_t depth = 0, weights = 0, size = 0, patches = 0;
    if (conv_make_geometry(option, in, &g, why, why_size))
        return 1;
    /* The weights, the output and one input's patch matrix (positions x depth) must fit. */
    if (ntk_mul_overflow_i64(g.c_in, g.kh, &depth) || ntk_mul_overflow_i64(depth, g.kw, &depth) ||
        depth > blas_max || ntk_mul_overflow_i64(depth, channels, &weights) ||
        ntk_mul_overflow_i64(g.positions, channels, &size) || g.positions > blas_max ||
        ntk_mul_overflow_i64(g.positions, depth, &patches)) {
        snprintf(why, why_size, "%lld channels x %lld x %lld x %lld inputs over %lld positions "
                 "overflows the layer's sizes (BLAS dimensions are at most %lld)",
                 (long long)channels, (long long)g.c_in, (long long)g.kh, (long long)g.kw,
                 (long long)g.positions, (long long)blas_max);
        return 1;
    }
    if (g.one_d)
        *out = (ntk_shape){2, {g.ho, channels, 0}, size};
    else
        *out = (ntk_shape){3, {g.ho, g.wo, channels}, size};
    return 0;
}

static void conv_tensors(const ntk_layer *layer, ntk_tensor_shape *weight, ntk_tensor_shape *bias)
{
    conv_geometry g;
    conv_geometry_of(layer, &g);
    const int64_t c_out = layer->option[CONV_CHANNELS];
    if (g.one_d)
        *weight = (ntk_tensor_shape){3, {c_out, g.c_in, g.kh, 0}, c_out * patch_size(&g)};
    else
        *weight = (ntk_tensor_shape){4, {c_out, g.c_in, g.kh, g.kw}, c_out * patch_size(&g)};
    *bias = (ntk_tensor_shape){1, {c_out, 0, 0, 0}, c_out};
}

static int64_t conv_fan_in(const ntk_layer *layer)
{
    conv_geometry g;
    conv_geometry_of(layer, &g);
    return patch_size(&g);
}

/* The patch matrix of one input: positions x (C_in kh kw), row p = the
 * window of output position p in W's order (i, dy, dx). Shared with
 * conv_products.c. */
void conv_patches(const conv_geometry *g, const double *in, double *patches)
{
    const int64_t depth = patch_size(g);
    for (int64_t y = 0; y < g->ho; ++y)
        for (int64_t x = 0; x < g->wo; ++x) {
            double *row = patches + (y * g->wo + x) * depth;
            for (int64_t dy = 0; dy < g->kh; ++dy)
                for (int64_t dx = 0; dx < g->kw; ++dx) {
                    const int64_t at = conv_tap(g, y, x, dy, dx);
                    const double *a = at < 0 ? NULL : in + at * g->c_in;
                    for (int64_t i = 0; i < g->c_in; ++i)
                        row[(i * g->kh + dy) * g->kw + dx] = a != NULL ? a[i] : 0.0;
                }
        }
}

/* The adjoint of conv_patches, from tap-major rows (conv_geometry.h): add
 * each patch entry back onto the input value it came from, in the order
 * (position, offset, channel). */
static void conv_scatter(const conv_geometry *g, const double *patches, double *in)
{
    const int64_t depth = patch_size(g);
    for (int64_t y = 0; y < g->ho; ++y)
        for (int64_t x = 0; x < g->wo; ++x) {
            const double *row = patches + (y * g->wo + x) * depth;
            for (int64_t dy = 0; dy < g->kh; ++dy)
                for (int64_t dx = 0; dx < g->kw; ++dx) {
                    const int64_t at = conv_tap(g, y, x, dy, dx);
                    if (at < 0)
                        continue;
                    const double *from = row + (dy * g->kw + dx) * g->c_in;
                    double *a = in + at * g->c_in;
                    for (int64_t i = 0; i < g->c_in; ++i)
                        a[i] += from[i];
                }
        }
}

/* How many inputs (or rows) of P x depth patches fit in the scratch, at least one. */
static int64_t conv_chunk(const conv_geometry *g, int64_t total)
{
    int64_t per = g->positions * patch_size(g), chunk = conv_scratch_doubles / (per > 0 ? per : 1);
    const int64_t by_blas = 2147483647 / g->positions;
    if (chunk > by_blas)
        chunk = by_blas;
    if (chunk < 1)
        chunk = 1;
    return chunk < total ? chunk : total;
}

/* z = c P W^T + s b, a chunk of inputs' patch matrices P at a time. */
static void conv_forward(const ntk_layer *layer, const ntk_model *model, const double *in,
                         int64_t count, double *out, double *saved)
{
    conv_geometry g;
    conv_geometry_of(layer, &g);
    const int l = layer->param;
    const int64_t depth = patch_size(&g), c_out = layer->option[CONV_CHANNELS];
    const int64_t chunk = conv_chunk(&g, count);
    double *patches = count > 0 ? malloc((size_t)(chunk * g.positions * depth) * sizeof *patches) : NULL;
    if (patches == NULL) {
        ntk_layer_forward_per_input(layer, model, in, count, out, saved);
        return;
    }
    for (int64_t first = 0; first < count; first += chunk) {
        const int64_t n = count - first < chunk ? count - first : chunk;
        for (int64_t x = 0; x < n; ++x)
            conv_patches(&g, in + (first + x) * layer->in.size, patches + x * g.positions * depth);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(n * g.positions), (int)c_out,
                    (int)depth, model->weight_scale[l], patches, (int)depth, model->weight[l],
                    (int)depth, 0.0, out + first * layer->out.size, (int)c_out);
    }
    free(patches);
    if (model->has_bias[l]) {
        const double s = model->bias_scale[l];
        for (int64_t row = 0; row < count * g.positions; ++row)
            for (int64_t o = 0; o < c_out; ++o)
                out[row * c_out + o] += s * model->bias[l][o];
    }
}

/* cot_in = scatter(c cot_out W), per chunk of (x, o) rows. The GEMM takes W
 * with its columns in tap-major order, so that the scatter adds contiguous
 * runs; each entry of the product is the same dot product, with the same
 * bits from OpenBLAS's DGEMM (docs/performance.md, "The CNN benchmark"). */
static void conv_backward(const ntk_layer *layer, const ntk_model *model, const double *cot_out,
                          int64_t count, int k, const double *saved, double *cot_in)
{
    conv_geometry g;
    conv_geometry_of(layer, &g);
    const int l = layer->param;
    const int64_t depth = patch_size(&g), c_out = layer->option[CONV_CHANNELS];
    const int64_t rows = count * k, chunk = conv_chunk(&g, rows);
    memset(cot_in, 0, (size_t)(rows * layer->in.size) * sizeof *cot_in);
    if (rows == 0)
        return;
    double *patches = malloc((size_t)(chunk * g.positions * depth) * sizeof *patches);
    double *weight = malloc((size_t)(c_out * depth) * sizeof *weight);
    if (patches == NULL || weight == NULL) {
        free(patches);
        free(weight);
        ntk_layer_backward_per_row(layer, model, cot_out, count, k, saved, cot_in);
        return;
    }
    for (int64_t o = 0; o < c_out; ++o)
        for (int64_t j = 0; j < depth; ++j)
            weight[o * depth + j] = model->weight[l][o * depth + conv_tap_major_source(&g, j)];
    for (int64_t first = 0; first < rows; first += chunk) {
        const int64_t n = rows - first < chunk ? rows - first : chunk;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(n * g.positions), (int)depth,
                    (int)c_out, model->weight_scale[l], cot_out + first * layer->out.size,
                    (int)c_out, weight, (int)depth, 0.0, patches, (int)depth);
        for (int64_t r = 0; r < n; ++r)
            conv_scatter(&g, patches + r * g.positions * depth, cot_in + (first + r) * layer->in.size);
    }
    free(weight);
    free(patches);
}

/* The passes with their GEMMs in float32 (conv_single.c), the bias added in
 * double. */
static void conv_forward_single(const ntk_layer *layer, const ntk_model *model,
                                const ntk_single_passes *pass, const double *in, int64_t count,
                                double *out, double *saved)
{
    (void)saved;
    conv_geometry g;
    conv_geometry_of(layer, &g);
    const int l = layer->param;
    const int64_t c_out = layer->option[CONV_CHANNELS];
    conv_single_forward(&g, c_out, pass->weight[l], model->weight_scale[l], pass, in,
                        layer->in.size, count, out);
    if (model->has_bias[l]) {
        const double s = model->bias_scale[l];
        for (int64_t row = 0; row < count * g.positions; ++row)
            for (int64_t o = 0; o < c_out; ++o)
                out[row * c_out + o] += s * model->bias[l][o];
    }
}

static void conv_backward_single(const ntk_layer *layer, const ntk_model *model,
                                 const ntk_single_passes *pass, const double *cot_out,
                                 int64_t count, int k, const double *saved, double *cot_in)
{
    (void)saved;
    conv_geometry g;
    conv_geometry_of(layer, &g);
    const int l = layer->param;
    conv_single_backward(&g, layer->option[CONV_CHANNELS], pass->weight[l], model->weight_scale[l],
                         pass, cot_out, layer->in.size, count * k, cot_in);
}

static void conv_forward_one(const ntk_layer *layer, const ntk_model *model, const double *in,
                             double *out, double *saved)
{
    (void)saved;
    conv_geometry g;
    conv_geometry_of(layer, &g);
    const int l = layer->param;
    const int64_t c_out = layer->option[CONV_CHANNELS], depth = patch_size(&g);
    const double *w = model->weight[l];
    for (int64_t y = 0; y < g.ho; ++y)
        for (int64_t x = 0; x < g.wo; ++x)
            for (int64_t o = 0; o < c_out; ++o) {
                double sum = 0.0;
                for (int64_t dy = 0; dy < g.kh; ++dy)
                    for (int64_t dx = 0; dx < g.kw; ++dx) {
                        const int64_t at = conv_tap(&g, y, x, dy, dx);
                        if (at < 0)
                            continue;
                        for (int64_t i = 0; i < g.c_in; ++i)
                            sum += w[o * depth + (i * g.kh + dy) * g.kw + dx] * in[at * g.c_in + i];
                    }
                double z = model->weight_scale[l] * sum;
                if (model->has_bias[l])
                    z += model->bias_scale[l] * model->bias[l][o];
                out[(y * g.wo + x) * c_out + o] = z;
            }
}

static void conv_backward_one(const ntk_layer *layer, const ntk_model *model,
                              const double *cot_out, const double *saved, double *cot_in)
{
    (void)saved;
    conv_geometry g;
    conv_geometry_of(layer, &g);
    const int l = layer->param;
    const int64_t c_out = layer->option[CONV_CHANNELS], depth = patch_size(&g);
    const double *w = model->weight[l];
    memset(cot_in, 0, (size_t)layer->in.size * sizeof *cot_in);
    for (int64_t y = 0; y < g.ho; ++y)
        for (int64_t x = 0; x < g.wo; ++x)
            for (int64_t o = 0; o < c_out; ++o) {
                const double d = model->weight_scale[l] * cot_out[(y * g.wo + x) * c_out + o];
                if (d == 0.0)
                    continue;
                for (int64_t dy = 0; dy < g.kh; ++dy)
                    for (int64_t dx = 0; dx < g.kw; ++dx) {
                        const int64_t at = conv_tap(&g, y, x, dy, dx);
                        if (at < 0)
                            continue;
                        for (int64_t i = 0; i < g.c_in; ++i)
                            cot_in[at * g.c_in + i] += d * w[o * depth + (i * g.kh + dy) * g.kw + dx];
                    }
            }
}

static void conv_jacobian_one(const ntk_layer *layer, const ntk_model *model, const double *in,
                              const double *cot_out, int64_t begin, int64_t end, double *row)
{
    conv_geometry g;
    conv_geometry_of(layer, &g);
    const int l = layer->param;
    const int64_t c_out = layer->option[CONV_CHANNELS], depth = patch_size(&g);
    for (int64_t e = begin; e < end; ++e) {
        double sum = 0.0;
        if (e < c_out * depth) {
            const int64_t o = e / depth, j = e % depth;
            const int64_t i = j / (g.kh * g.kw), dy = (j / g.kw) % g.kh, dx = j % g.kw;
            for (int64_t y = 0; y < g.ho; ++y)
                for (int64_t x = 0; x < g.wo; ++x) {
                    const int64_t at = conv_tap(&g, y, x, dy, dx);
                    if (at >= 0)
                        sum += cot_out[(y * g.wo + x) * c_out + o] * in[at * g.c_in + i];
                }
            row[e - begin] = model->weight_scale[l] * sum;
        } else {
            const int64_t o = e - c_out * depth;
            for (int64_t p = 0; p < g.positions; ++p)
                sum += cot_out[p * c_out + o];
            row[e - begin] = model->bias_scale[l] * sum;
        }
    }
}

/* Flops per Theta entry of the two structured forms (trace: per input pair,
 * the mean over k logits; full: per (x, o), (x', o') entry):
 *   Jacobian block: one inner product of k (C_out D + C_out) values (trace),
 *                   C_out D + C_out (full);
 *   pairwise:       the P x P patch Gram (depth D) and cotangent Gram (depth
 *                   k C_out), their Hadamard sum, the bias product (trace);
 *                   full: per pair of inputs (1/k^2 per entry) the patch
 *                   Gram K, K delta (P x P times P x k C_out) and the k x k
 *                   entries (P + 1 products of depth C_out), then one
 *                   addition per entry (kernel/structured_tiles.c,
 *                   full_pairwise_term). */
static void conv_form_flops(const ntk_layer *layer, int k, int full, double *block, double *pairwise)
{
    conv_geometry g;
    conv_geometry_of(layer, &g);
    const double p2 = (double)g.positions * (double)g.positions, depth = (double)patch_size(&g);
    const double c_out = (double)layer->option[CONV_CHANNELS];
    if (full) {
        *block = 2.0 * (c_out * depth + c_out);
        *pairwise = 2.0 * p2 * (depth / k + c_out) / k + 2.0 * (double)g.positions * c_out +
                    2.0 * c_out + 1.0;
    } else {
        *block = 2.0 * k * (c_out * depth + c_out);
        *pairwise = 2.0 * p2 * (depth + k * c_out + 1.0) + 2.0 * k * c_out;
    }
}

/* The cheaper form wins (docs/conv.md, "Convolutional networks"). */
static int conv_uses_pairwise(const ntk_layer *layer, int k, int full)
{
    double block, pairwise;
    conv_form_flops(layer, k, full, &block, &pairwise);
    return pairwise < block;
}

/* The Jacobian block: a row is one output channel's weights and bias; its
 * scratch holds the input's patch matrix and, per logit, the cotangent
 * columns conv_jacobian_block gathers (positions x C_out at most; none when
 * it does not gather). */
static void conv_block_shape(const ntk_layer *layer, ntk_block_shape *shape)
{
    conv_geometry g;
    conv_geometry_of(layer, &g);
    shape->rows = layer->option[CONV_CHANNELS];
    shape->row_width = patch_size(&g) + 1;
    shape->scratch_doubles = g.positions * patch_size(&g);
    shape->scratch_per_logit =
        patch_size(&g) >= conv_gather_min_depth ? g.positions * layer->option[CONV_CHANNELS] : 0;
}

/* Structured kernel: the block J_l^o = (c delta^o^T P, s sum_p delta^o_p),
 * C_out x (C_in kh kw) weights then C_out biases per logit; or the pairwise
 * contraction over positions. */
static void conv_structured_term(const ntk_layer *layer, int k, int full, ntk_structured_term *term)
{
    conv_geometry g;
    conv_geometry_of(layer, &g);
    const int64_t c_out = layer->option[CONV_CHANNELS];
    term->cotangent_width = layer->out.size;
    term->input_width = layer->in.size;
    if (conv_uses_pairwise(layer, k, full)) {
        term->pairwise = 1;
        term->positions = g.positions;
        term->patch_width = patch_size(&g);
        term->channels = c_out;
        /* kernel/structured_layout.c's pairwise scratch: two P x P Grams, and for
         * full kernels K delta (P x k C_out) and k x k entries. */
        term->scratch_doubles = 2 * g.positions * g.positions +
                                (full ? k * g.positions * c_out + k * k : g.positions * c_out);
        return;
    }
    ntk_block_shape shape = {0};
    conv_block_shape(layer, &shape);
    term->block_width = shape.rows * shape.row_width;
    term->block_rows = shape.rows;
    term->block_row_width = shape.row_width;
    term->scratch_doubles = ntk_block_scratch_doubles(&shape, k);
}

/* One parameter chunk of the pairwise packing (layer.h, pairwise_pack): the
 * same values as the whole packing's, its columns and channels only. */
static void conv_pairwise_pack_part(const ntk_layer *layer, const ntk_model *model,
                                    const double *in, const double *cot_out, int k,
                                    const ntk_pairwise_part *part, double *scratch, double *packed)
{
    conv_geometry g;
    conv_geometry_of(layer, &g);
    const int l = layer->param;
    const int64_t c_out = layer->option[CONV_CHANNELS], depth = patch_size(&g);
    const int64_t c0 = part->channel_first, cc = part->channels;
    const int64_t d0 = part->depth_first, dd = part->depth;
    const double s = model->has_bias[l] && d0 == 0 ? model->bias_scale[l] : 0.0;
    double *delta = packed + g.positions * dd, *sums = delta + g.positions * k * cc;
    conv_patches(&g, in, scratch);
    for (int64_t p = 0; p < g.positions; ++p)
        memcpy(packed + p * dd, scratch + p * depth + d0, (size_t)dd * sizeof *packed);
    for (int64_t e = 0; e < k * cc; ++e)
        sums[e] = 0.0;
    for (int o = 0; o < k; ++o)
        for (int64_t p = 0; p < g.positions; ++p)
            for (int64_t c = 0; c < cc; ++c) {
                const double d = cot_out[(int64_t)o * layer->out.size + p * c_out + c0 + c];
                delta[(p * k + o) * cc + c] = d;
                sums[o * cc + c] += d;
            }
    for (int64_t e = 0; e < k * cc; ++e)
        sums[e] *= s;
}

static void conv_pairwise_pack(const ntk_layer *layer, const ntk_model *model, const double *in,
                               const double *cot_out, int k, const ntk_pairwise_part *part,
                               double *scratch, double *packed)
{
    if (part != NULL) {
        conv_pairwise_pack_part(layer, model, in, cot_out, k, part, scratch, packed);
        return;
    }
    conv_geometry g;
    conv_geometry_of(layer, &g);
    const int l = layer->param;
    const int64_t c_out = layer->option[CONV_CHANNELS], depth = patch_size(&g);
    const double s = model->has_bias[l] ? model->bias_scale[l] : 0.0;
    double *delta = packed + g.positions * depth, *sums = delta + g.positions * k * c_out;
    conv_patches(&g, in, packed);
    for (int o = 0; o < k; ++o)
        for (int64_t c = 0; c < c_out; ++c)
            sums[o * c_out + c] = 0.0;
    for (int o = 0; o < k; ++o)
        for (int64_t p = 0; p < g.positions; ++p)
            for (int64_t c = 0; c < c_out; ++c) {
                const double d = cot_out[(int64_t)o * layer->out.size + p * c_out + c];
                delta[(p * k + o) * c_out + c] = d;
                sums[o * c_out + c] += d;
            }
    for (int64_t e = 0; e < k * c_out; ++e)
        sums[e] *= s;
}

/* A Jacobian block's bias entries for one logit: to[c] = s (the sum over
 * positions of the cotangent delta of channel first + c), c < rows. */
static void bias_sums(const conv_geometry *g, int64_t c_out, const double *delta, int64_t first,
                      int64_t rows, double s, double *to)
{
    /* Each channel's sum in the order of the positions, as one sum per
     * channel would add them; position by position, the channels are
     * contiguous. */
    for (int64_t c = 0; c < rows; ++c)
        to[c] = 0.0;
    for (int64_t p = 0; p < g->positions; ++p) {
        const double *at = delta + p * c_out + first;
        for (int64_t c = 0; c < rows; ++c)
            to[c] += at[c];
    }
    for (int64_t c = 0; c < rows; ++c)
        to[c] *= s;
}

/* Output channels [first, first + rows): their weights' block, then their
 * biases. From conv_gather_min_depth on, the weights' block of all k logits
 * is one DGEMM, M = k x rows: one per logit would have M = rows (C_out, or
 * fewer in chunk passes), a shape at which DGEMM runs well below its rate,
 * and each entry is the same dot product over the positions either way. The
 * logits' cotangent columns are gathered side by side (positions x k rows,
 * after the patch matrix in the scratch). The product is written
 * contiguously at the block's start and each logit's rows then moved up to
 * its place: a logit's bias entries sit between its weights and the next
 * logit's, so no single ldc reaches the places, and moving within the block
 * (last logit first) needs no scratch for the product. With an odd number of
 * rows the last one stays a one-row DGEMM per logit: OpenBLAS's kernels
 * (Haswell's, checked) give an entry the same bits at any M except in a lone
 * leftover row (an odd M's last), which they sum in another order, so this
 * keeps the bits of one DGEMM per logit, and Theta's. */
static void conv_jacobian_block(const ntk_layer *layer, const ntk_model *model, const double *in,
                                const double *cot_out, int k, int64_t first, int64_t rows,
                                double *scratch, double *block)
{
    conv_geometry g;
    conv_geometry_of(layer, &g);
    const int l = layer->param;
    const int64_t c_out = layer->option[CONV_CHANNELS], depth = patch_size(&g);
    const int64_t width = rows * depth + rows;
    const int64_t batched = depth >= conv_gather_min_depth ? rows - rows % 2 : 0; /* per logit */
    const int64_t gathered = (int64_t)k * batched;
    const double c = model->weight_scale[l], s = model->has_bias[l] ? model->bias_scale[l] : 0.0;
    double *delta = scratch + g.positions * depth; /* positions x (k batched) */
    conv_patches(&g, in, scratch);
    if (gathered > 0) {
        for (int64_t p = 0; p < g.positions; ++p)
            for (int o = 0; o < k; ++o)
                memcpy(delta + p * gathered + o * batched,
                       cot_out + (int64_t)o * layer->out.size + p * c_out + first,
                       (size_t)batched * sizeof *delta);
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)gathered, (int)depth,
                    (int)g.positions, c, delta, (int)gathered, scratch, (int)depth, 0.0, block,
                    (int)depth);
        for (int o = k - 1; o > 0; --o)
            memmove(block + o * width, block + o * batched * depth,
                    (size_t)(batched * depth) * sizeof *block);
    }
    for (int o = 0; o < k; ++o) {
        const double *logit = cot_out + (int64_t)o * layer->out.size; /* positions x C_out */
        if (rows > batched)
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)(rows - batched), (int)depth,
                        (int)g.positions, c, logit + first + batched, (int)c_out, scratch,
                        (int)depth, 0.0, block + o * width + batched * depth, (int)depth);
        bias_sums(&g, c_out, logit, first, rows, s, block + o * width + rows * depth);
    }
}

/* conv_jacobian_block with the weights' GEMM in float32 (conv_single.c). */
static void conv_jacobian_block_single(const ntk_layer *layer, const ntk_model *model,
                                       const ntk_single_passes *pass, const double *in,
                                       const double *cot_out, int k, int64_t first, int64_t rows,
                                       double *block)
{
    conv_geometry g;
    conv_geometry_of(layer, &g);
    const int l = layer->param;
    const int64_t c_out = layer->option[CONV_CHANNELS], depth = patch_size(&g);
    const int64_t width = rows * depth + rows;
    const double s = model->has_bias[l] ? model->bias_scale[l] : 0.0;
    conv_single_block(&g, c_out, model->weight_scale[l], pass, in, cot_out, layer->out.size, k,
                      first, rows, width, block);
    for (int o = 0; o < k; ++o)
        bias_sums(&g, c_out, cot_out + (int64_t)o * layer->out.size, first, rows, s,
                  block + o * width + rows * depth);
}

static void conv_cost(const ntk_layer *layer, int k, int full, int quadrature_order,
                      ntk_layer_cost *cost)
{
    (void)full;
    (void)quadrature_order;
    conv_geometry g;
    conv_geometry_of(layer, &g);
    const double positions = (double)g.positions, depth = (double)patch_size(&g);
    const double c_out = (double)layer->option[CONV_CHANNELS];
    cost->forward_flops = positions * c_out * depth;
    cost->backward_flops = positions * c_out * depth;
    /* Its input and its output's cotangents, and the patch matrix of one input. */
    const double block = c_out * depth + c_out;
    cost->feature_doubles = (double)layer->in.size + (double)k * (double)layer->out.size +
                            positions * depth;
    cost->pass_scratch_doubles = fmax((double)conv_scratch_doubles, positions * depth);
    cost->pass_scratch_per_input = positions * depth; /* conv_chunk: whole inputs' patches */
    /* Structured: the cheaper form (conv_uses_pairwise). */
    conv_form_flops(layer, k, full, &cost->block_pair_flops, &cost->pairwise_pair_flops);
    if (conv_uses_pairwise(layer, k, full)) {
        cost->structured_form = "pairwise";
        cost->packed_doubles = positions * depth + positions * (double)k * c_out + (double)k * c_out;
        cost->tile_flops_per_pair = cost->pairwise_pair_flops;
        cost->widest = 1;
    } else {
        cost->structured_form = "jacobian block";
        cost->packed_doubles = (double)k * block;
        cost->tile_flops_per_pair = cost->block_pair_flops;
        cost->widest = (int64_t)block;
        cost->block_flops = (double)k * positions * c_out * depth;
        cost->single_block_depth = g.positions;
    }
    cost->single_forward_depth = patch_size(&g);
    cost->single_backward_depth = layer->option[CONV_CHANNELS];
    cost->single_scratch_floats = conv_single_scratch_floats(&g, layer->option[CONV_CHANNELS]);
    conv_products_cost(layer, &g, k, cost);
}

/* Matrix-free products with the layer's own parameters (conv_products.c). */
static ntk_status conv_param_vjp(const ntk_layer *layer, const ntk_model *model,
                                 const double *in, const double *cot_out, int64_t count, int k,
                                 const double *weight, double *scratch, double *grad)
{
    conv_geometry g;
    conv_geometry_of(layer, &g);
    return conv_products_vjp(layer, model, &g, in, cot_out, count, k, weight, scratch, grad);
}

static ntk_status conv_param_jvp(const ntk_layer *layer, const ntk_model *model,
                                 const double *in, const double *cot_out, int64_t count, int k,
                                 const double *direction, double *scratch, double *out)
{
    conv_geometry g;
    conv_geometry_of(layer, &g);
    return conv_products_jvp(layer, model, &g, in, cot_out, count, k, direction, scratch, out);
}

/* The infinite-width map (window_analytic.c). */
static int conv_analytic_spatial(const ntk_layer *layer, const ntk_analytic_context *context,
                                 ntk_spatial_state *state)
{
    conv_geometry g;
    conv_geometry_of(layer, &g);
    window_analytic_conv(&g, context->w_std * context->w_std, context->b_std * context->b_std,
                         state);
    return 0;
}

static double conv_analytic_flops(const ntk_layer *layer, int64_t positions,
                                  ntk_analytic_form input_form, ntk_analytic_form output_form,
                                  int quadrature_order)
{
    (void)positions;
    (void)output_form;
    (void)quadrature_order;
    conv_geometry g;
    conv_geometry_of(layer, &g);
    return window_analytic_conv_flops(&g, input_form);
}

const ntk_layer_ops ntk_layer_conv = {
    .name = "conv",
    .options = conv_options,
    .n_options = 5,
    .infer = conv_infer,
    .tensors = conv_tensors,
    .fan_in = conv_fan_in,
    .saved_doubles = ntk_layer_saves_nothing,
    .forward = conv_forward,
    .backward = conv_backward,
    .forward_single = conv_forward_single,
    .backward_single = conv_backward_single,
    .jacobian_block_single = conv_jacobian_block_single,
    .forward_one = conv_forward_one,
    .backward_one = conv_backward_one,
    .jacobian_one = conv_jacobian_one,
    .structured_term = conv_structured_term,
    .jacobian_block = conv_jacobian_block,
    .block_shape = conv_block_shape,
    .pairwise_pack = conv_pairwise_pack,
    .param_vjp = conv_param_vjp,
    .param_jvp = conv_param_jvp,
    .analytic_spatial = conv_analytic_spatial,
    .analytic_spatial_flops = conv_analytic_flops,
    .cost = conv_cost,
};
