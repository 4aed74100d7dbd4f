/* Max pooling, no parameters, channels kept (torch's MaxPool2d/MaxPool1d):
 *   {max_pool: {window: K | [kh, kw], stride: S | [sh, sw], padding: P | [ph, pw]}}
 *     (stride default: the window; padding default 0, at most half the
 *     window as torch demands). Each output is the largest value of its
 *     window; the padding never wins (torch pads with -inf); windows floor
 *     as avg_pool's, (H + 2 ph - kh) / sh + 1 positions. Ties go to the first
 *     maximum in the window's row-major order (and a NaN wins), as in torch's
 *     CPU kernel (val > max || isnan(val)), so the cotangent reaches the
 *     element torch's autograd sends it to.
 * The forward pass keeps, per output value, the index of the input value it
 * took (the saved state, as doubles); backward adds each cotangent there. It
 * has no infinite-width map (kernel.kind: analytic is refused naming it). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/layers/conv_geometry.h"
#include "model/model.h"

enum { MAX_POOL_WINDOW = 0, MAX_POOL_STRIDE = 2, MAX_POOL_PADDING = 4 };

static const ntk_layer_option max_pool_options[] = {
    {.key = "window", .kind = NTK_OPTION_PAIR, .slot = MAX_POOL_WINDOW,
     .requirement = "a positive integer", .minimum = 1, .maximum = 2147483647,
     .default_value = 0, .required = 1},
    /* 0: the window (torch's default stride) */
    {.key = "stride", .kind = NTK_OPTION_PAIR, .slot = MAX_POOL_STRIDE,
     .requirement = "a positive integer", .minimum = 1, .maximum = 2147483647,
     .default_value = 0, .required = 0},
    {.key = "padding", .kind = NTK_OPTION_PAIR, .slot = MAX_POOL_PADDING,
     .requirement = "a non-negative integer", .minimum = 0, .maximum = 2147483647,
     .default_value = 0, .required = 0},
};

static int max_pool_make_geometry(const int64_t *option, const ntk_shape *in, conv_geometry *g,
                                  char *why, size_t why_size)
{
    const int64_t kh = option[MAX_POOL_WINDOW], kw = option[MAX_POOL_WINDOW + 1];
    const int64_t sh = option[MAX_POOL_STRIDE] > 0 ? option[MAX_POOL_STRIDE] : kh;
    const int64_t sw = option[MAX_POOL_STRIDE + 1] > 0 ? option[MAX_POOL_STRIDE + 1] : kw;
    const int64_t ph = option[MAX_POOL_PADDING], pw = option[MAX_POOL_PADDING + 1];
    if (ph > kh / 2 || pw > kw / 2) {
        snprintf(why, why_size, "padding [%lld, %lld] is more than half the window [%lld, %lld] "
                 "(torch refuses it too)", (long long)ph, (long long)pw, (long long)kh,
                 (long long)kw);
        return 1;
    }
    return conv_geometry_make(in, kh, kw, sh, sw,
                              ph == 0 && pw == 0 ? CONV_PAD_VALID : CONV_PAD_EXPLICIT, ph, pw,
                              "window", g, why, why_size);
}

static void max_pool_geometry_of(const ntk_layer *layer, conv_geometry *g)
{
    char why[256];
    (void)max_pool_make_geometry(layer->option, &layer->in, g, why, sizeof why); /* checked */
}

static int max_pool_infer(const int64_t *option, const ntk_shape *in, ntk_shape *out, char *why,
                          size_t why_size)
{
    conv_geometry g;
    if (max_pool_make_geometry(option, in, &g, why, why_size))
        return 1;
    if (g.one_d)
        *out = (ntk_shape){2, {g.ho, g.c_in, 0}, g.positions * g.c_in};
    else
        *out = (ntk_shape){3, {g.ho, g.wo, g.c_in}, g.positions * g.c_in};
    return 0;
}

/* One value per output value: the index of the input value it took. */
static int64_t max_pool_saved(const ntk_layer *layer) { return layer->out.size; }

static void max_pool_forward_one(const ntk_layer *layer, const ntk_model *model, const double *in,
                                 double *out, double *saved)
{
    (void)model;
    conv_geometry g;
    max_pool_geometry_of(layer, &g);
    const int64_t c = g.c_in;
    for (int64_t y = 0; y < g.ho; ++y)
        for (int64_t x = 0; x < g.wo; ++x)
            for (int64_t i = 0; i < c; ++i) {
                double best = -INFINITY;
                int64_t taken = -1;
                for (int64_t dy = 0; dy < g.kh; ++dy)
                    for (int64_t dx = 0; dx < g.kw; ++dx) {
                        const int64_t tap = conv_tap(&g, y, x, dy, dx);
                        if (tap < 0)
                            continue; /* -inf padding never wins */
                        const double value = in[tap * c + i];
                        if (taken < 0 || value > best || isnan(value)) {
                            best = value;
                            taken = tap * c + i;
                        }
                    }
                const int64_t at = (y * g.wo + x) * c + i;
                out[at] = best;
                saved[at] = (double)taken;
            }
}

static void max_pool_backward_one(const ntk_layer *layer, const ntk_model *model,
                                  const double *cot_out, const double *saved, double *cot_in)
{
    (void)model;
    memset(cot_in, 0, (size_t)layer->in.size * sizeof *cot_in);
    for (int64_t at = 0; at < layer->out.size; ++at)
        cot_in[(int64_t)saved[at]] += cot_out[at];
}

static void max_pool_forward(const ntk_layer *layer, const ntk_model *model, const double *in,
                             int64_t count, double *out, double *saved)
{
    for (int64_t x = 0; x < count; ++x)
        max_pool_forward_one(layer, model, in + x * layer->in.size, out + x * layer->out.size,
                             saved + x * layer->out.size);
}

static void max_pool_backward(const ntk_layer *layer, const ntk_model *model,
                              const double *cot_out, int64_t count, int k, const double *saved,
                              double *cot_in)
{
    for (int64_t x = 0; x < count; ++x)
        for (int o = 0; o < k; ++o) {
            const int64_t row = x * k + o;
            max_pool_backward_one(layer, model, cot_out + row * layer->out.size,
                                  saved + x * layer->out.size, cot_in + row * layer->in.size);
        }
}

static void max_pool_cost(const ntk_layer *layer, int k, int full, int quadrature_order,
                          ntk_layer_cost *cost)
{
    (void)full;
    (void)quadrature_order;
    cost->forward_flops = (double)layer->in.size;
    cost->backward_flops = (double)layer->in.size;
    cost->feature_doubles = (double)layer->in.size + (double)k * (double)layer->out.size +
                            (double)layer->out.size; /* the indices */
    cost->widest = 1;
}

const ntk_layer_ops ntk_layer_max_pool = {
    .name = "max_pool",
    .options = max_pool_options,
    .n_options = 3,
    .infer = max_pool_infer,
    .saved_doubles = max_pool_saved,
    .forward = max_pool_forward,
    .backward = max_pool_backward,
    .forward_one = max_pool_forward_one,
    .backward_one = max_pool_backward_one,
    .cost = max_pool_cost,
};
