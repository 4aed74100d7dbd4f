/* Average pooling, no parameters, channels kept:
 *   {avg_pool: {window: K | [kh, kw], stride: S | [sh, sw], padding: P | [ph, pw]}}
 *     (stride default: the window; padding default 0)
 *     torch's AvgPool2d/AvgPool1d: the mean of each window; windows that
 *     do not divide the input are floored as torch does,
 *     (H + 2 ph - kh) / sh + 1 positions, and the trailing rows/columns no
 *     window reaches are dropped. Padding reads zeros that count in the
 *     mean (torch's count_include_pad=True) and is at most half the window
 *     (torch refuses more);
 *   global_avg_pool  the mean over all positions, (H, W, C) or (L, C) -> (C).
 * Both are linear: backward spreads each cotangent evenly over its window. */
#include <stdio.h>
#include <string.h>

#include "model/layers/conv_geometry.h"
#include "model/layers/window_analytic.h"
#include "model/model.h"

enum { POOL_WINDOW = 0, POOL_STRIDE = 2, POOL_PADDING = 4 };

static const ntk_layer_option avg_pool_options[] = {
    {.key = "window", .kind = NTK_OPTION_PAIR, .slot = POOL_WINDOW,
     .requirement = "a positive integer", .minimum = 1, .maximum = 2147483647,
     .default_value = 0, .required = 1},
    /* 0: the window (torch's default stride) */
    {.key = "stride", .kind = NTK_OPTION_PAIR, .slot = POOL_STRIDE,
     .requirement = "a positive integer", .minimum = 1, .maximum = 2147483647,
     .default_value = 0, .required = 0},
    {.key = "padding", .kind = NTK_OPTION_PAIR, .slot = POOL_PADDING,
     .requirement = "a non-negative integer", .minimum = 0, .maximum = 2147483647,
     .default_value = 0, .required = 0, .quiet = 1},
};

static int pool_make_geometry(const int64_t *option, const ntk_shape *in, conv_geometry *g,
                              char *why, size_t why_size)
{
    const int64_t sh = option[POOL_STRIDE] > 0 ? option[POOL_STRIDE] : option[POOL_WINDOW];
    const int64_t sw = option[POOL_STRIDE + 1] > 0 ? option[POOL_STRIDE + 1] : option[POOL_WINDOW + 1];
    const int64_t ph = option[POOL_PADDING], pw = option[POOL_PADDING + 1];
    if (ph > option[POOL_WINDOW] / 2 || pw > option[POOL_WINDOW + 1] / 2) {
        snprintf(why, why_size, "padding [%lld, %lld] is more than half the window [%lld, %lld] "
                 "(torch refuses it too)", (long long)ph, (long long)pw,
                 (long long)option[POOL_WINDOW], (long long)option[POOL_WINDOW + 1]);
        return 1;
    }
    return conv_geometry_make(in, option[POOL_WINDOW], option[POOL_WINDOW + 1], sh, sw,
                              ph == 0 && pw == 0 ? CONV_PAD_VALID : CONV_PAD_EXPLICIT, ph, pw,
                              "window", g, why, why_size);
}

static void pool_geometry_of(const ntk_layer *layer, conv_geometry *g)
{
    char why[256];
    (void)pool_make_geometry(layer->option, &layer->in, g, why, sizeof why); /* checked at infer */
}

static int avg_pool_infer(const int64_t *option, const ntk_shape *in, ntk_shape *out, char *why,
                          size_t why_size)
{
    conv_geometry g;
    if (pool_make_geometry(option, in, &g, why, why_size))
        return 1;
    if (g.one_d)
        *out = (ntk_shape){2, {g.ho, g.c_in, 0}, g.positions * g.c_in};
    else
        *out = (ntk_shape){3, {g.ho, g.wo, g.c_in}, g.positions * g.c_in};
    return 0;
}

/* The window's share of each value it averages: 1 / (kh kw). */
static double pool_scale(const conv_geometry *g) { return 1.0 / (double)(g->kh * g->kw); }

/* Taps in the padding (-1) read zeros; they still count in the mean. */
static void avg_pool_forward_one(const ntk_layer *layer, const ntk_model *model, const double *in,
                                 double *out, double *saved)
{
    (void)model;
    (void)saved;
    conv_geometry g;
    pool_geometry_of(layer, &g);
    const int64_t c = g.c_in;
    for (int64_t y = 0; y < g.ho; ++y)
        for (int64_t x = 0; x < g.wo; ++x) {
            double *o = out + (y * g.wo + x) * c;
            for (int64_t i = 0; i < c; ++i)
                o[i] = 0.0;
            for (int64_t dy = 0; dy < g.kh; ++dy)
                for (int64_t dx = 0; dx < g.kw; ++dx) {
                    const int64_t tap = conv_tap(&g, y, x, dy, dx);
                    if (tap < 0)
                        continue;
                    const double *a = in + tap * c;
                    for (int64_t i = 0; i < c; ++i)
                        o[i] += a[i];
                }
            for (int64_t i = 0; i < c; ++i)
                o[i] *= pool_scale(&g);
        }
}

static void avg_pool_backward_one(const ntk_layer *layer, const ntk_model *model,
                                  const double *cot_out, const double *saved, double *cot_in)
{
    (void)model;
    (void)saved;
    memset(cot_in, 0, (size_t)layer->in.size * sizeof *cot_in);
    conv_geometry g;
    pool_geometry_of(layer, &g);
    for (int64_t y = 0; y < g.ho; ++y)
        for (int64_t x = 0; x < g.wo; ++x) {
            const double *d = cot_out + (y * g.wo + x) * g.c_in;
            for (int64_t dy = 0; dy < g.kh; ++dy)
                for (int64_t dx = 0; dx < g.kw; ++dx) {
                    const int64_t tap = conv_tap(&g, y, x, dy, dx);
                    if (tap < 0)
                        continue;
                    double *a = cot_in + tap * g.c_in;
                    for (int64_t i = 0; i < g.c_in; ++i)
                        a[i] += pool_scale(&g) * d[i];
                }
        }
}

static int global_pool_infer(const int64_t *option, const ntk_shape *in, ntk_shape *out,
                             char *why, size_t why_size)
{
    (void)option;
    if (in->rank != 2 && in->rank != 3) {
        snprintf(why, why_size, "needs inputs of shape (H, W, C) or (L, C), got flat inputs "
                 "(one vector per input)");
        return 1;
    }
    const int64_t c = in->dim[in->rank - 1];
    *out = (ntk_shape){1, {c, 0, 0}, c};
    return 0;
}

static void global_pool_forward_one(const ntk_layer *layer, const ntk_model *model,
                                    const double *in, double *out, double *saved)
{
    (void)model;
    (void)saved;
    const int64_t c = layer->out.size, positions = layer->in.size / c;
    for (int64_t i = 0; i < c; ++i)
        out[i] = 0.0;
    for (int64_t p = 0; p < positions; ++p)
        for (int64_t i = 0; i < c; ++i)
            out[i] += in[p * c + i];
    for (int64_t i = 0; i < c; ++i)
        out[i] /= (double)positions;
}

static void global_pool_backward_one(const ntk_layer *layer, const ntk_model *model,
                                     const double *cot_out, const double *saved, double *cot_in)
{
    (void)model;
    (void)saved;
    const int64_t c = layer->out.size, positions = layer->in.size / c;
    if (positions < 1)
        return;
    /* every position gets the same row: divide once, copy the rest */
    for (int64_t i = 0; i < c; ++i)
        cot_in[i] = cot_out[i] / (double)positions;
    for (int64_t p = 1; p < positions; ++p)
        memcpy(cot_in + p * c, cot_in, (size_t)c * sizeof *cot_in);
}

static void pool_cost(const ntk_layer *layer, int k, int full, int quadrature_order,
                      ntk_layer_cost *cost)
{
    (void)full;
    (void)quadrature_order;
    cost->forward_flops = (double)layer->in.size;
    cost->backward_flops = (double)layer->in.size;
    cost->feature_doubles = (double)layer->in.size + (double)k * (double)layer->out.size;
    cost->widest = 1;
}

/* Infinite-width maps (window_analytic.c): both average over pairs of
 * positions of their input, so it must have every pair. */
static ntk_analytic_form pool_analytic_input_form(const ntk_layer *layer,
                                                  ntk_analytic_form output_form)
{
    (void)layer;
    (void)output_form;
    return NTK_ANALYTIC_FULL;
}

static int avg_pool_analytic_spatial(const ntk_layer *layer, const ntk_analytic_context *context,
                                     ntk_spatial_state *state)
{
    (void)context;
    conv_geometry g;
    pool_geometry_of(layer, &g);
    window_analytic_pool(&g, state);
    return 0;
}

/* Its column taps are disjoint groups (window = stride, no padding, the
 * width a multiple): the map can read its input with each group's columns
 * already summed (ntk_spatial_state's columns_pooled). */
static int64_t avg_pool_analytic_column_groups(const ntk_layer *layer)
{
    conv_geometry g;
    pool_geometry_of(layer, &g);
    return window_analytic_pool_column_groups(&g);
}

static double avg_pool_analytic_flops(const ntk_layer *layer, int64_t positions,
                                      ntk_analytic_form input_form, ntk_analytic_form output_form,
                                      int quadrature_order)
{
    (void)positions;
    (void)input_form;
    (void)quadrature_order;
    conv_geometry g;
    pool_geometry_of(layer, &g);
    return window_analytic_pool_flops(&g, output_form);
}

static int global_pool_analytic_spatial(const ntk_layer *layer,
                                        const ntk_analytic_context *context,
                                        ntk_spatial_state *state)
{
    (void)layer;
    (void)context;
    window_analytic_global_pool(state);
    return 0;
}

static double global_pool_analytic_flops(const ntk_layer *layer, int64_t positions,
                                         ntk_analytic_form input_form,
                                         ntk_analytic_form output_form, int quadrature_order)
{
    (void)layer;
    (void)input_form;
    (void)output_form;
    (void)quadrature_order;
    return 2.0 * (double)positions * (double)positions;
}

const ntk_layer_ops ntk_layer_avg_pool = {
    .name = "avg_pool",
    .options = avg_pool_options,
    .n_options = 3,
    .infer = avg_pool_infer,
    /* The batched passes are the one-input ones per input (or per (x, o)
     * row): pooling is a small share of a network's work. */
    .saved_doubles = ntk_layer_saves_nothing,
    .forward = ntk_layer_forward_per_input,
    .backward = ntk_layer_backward_per_row,
    .forward_one = avg_pool_forward_one,
    .backward_one = avg_pool_backward_one,
    .analytic_spatial = avg_pool_analytic_spatial,
    .analytic_input_form = pool_analytic_input_form,
    .analytic_column_groups = avg_pool_analytic_column_groups,
    .analytic_spatial_flops = avg_pool_analytic_flops,
    .cost = pool_cost,
};

const ntk_layer_ops ntk_layer_global_avg_pool = {
    .name = "global_avg_pool",
    .bare = 1,
    .infer = global_pool_infer,
    .saved_doubles = ntk_layer_saves_nothing,
    .forward = ntk_layer_forward_per_input,
    .backward = ntk_layer_backward_per_row,
    .forward_one = global_pool_forward_one,
    .backward_one = global_pool_backward_one,
    .analytic_spatial = global_pool_analytic_spatial,
    .analytic_input_form = pool_analytic_input_form,
    .analytic_spatial_flops = global_pool_analytic_flops,
    .cost = pool_cost,
};
