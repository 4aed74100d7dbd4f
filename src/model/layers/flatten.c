/* flatten: (H, W, C) or (L, C) inputs, stored channels last, to one vector in
 * PyTorch's order (channel-major: C x H x W, C x L), so a dense layer after it
 * takes torch.nn.Linear weights of an nn.Sequential(..., Flatten(), Linear)
 * unchanged. Flat inputs pass through. A permutation: backward is its inverse. */
#include <string.h>

#include "model/model.h"

static int flatten_infer(const int64_t *option, const ntk_shape *in, ntk_shape *out, char *why,
                         size_t why_size)
{
    (void)option;
    (void)why;
    (void)why_size;
    *out = (ntk_shape){1, {in->size, 0, 0}, in->size};
    return 0;
}

static int64_t flatten_saved(const ntk_layer *layer)
{
    (void)layer;
    return 0;
}

/* Channels and positions of the input (1 channel for flat inputs). */
static void flatten_sizes(const ntk_layer *layer, int64_t *channels, int64_t *positions)
{
    *channels = layer->in.rank == 1 ? 1 : layer->in.dim[layer->in.rank - 1];
    *positions = layer->in.size / *channels;
}

static void flatten_forward_one(const ntk_layer *layer, const ntk_model *model, const double *in,
                                double *out, double *saved)
{
    (void)model;
    (void)saved;
    int64_t c, positions;
    flatten_sizes(layer, &c, &positions);
    for (int64_t p = 0; p < positions; ++p)
        for (int64_t i = 0; i < c; ++i)
            out[i * positions + p] = in[p * c + i];
}

static void flatten_backward_one(const ntk_layer *layer, const ntk_model *model,
                                 const double *cot_out, const double *saved, double *cot_in)
{
    (void)model;
    (void)saved;
    int64_t c, positions;
    flatten_sizes(layer, &c, &positions);
    for (int64_t p = 0; p < positions; ++p)
        for (int64_t i = 0; i < c; ++i)
            cot_in[p * c + i] = cot_out[i * positions + p];
}

static void flatten_forward(const ntk_layer *layer, const ntk_model *model, const double *in,
                            int64_t count, double *out, double *saved)
{
    for (int64_t x = 0; x < count; ++x)
        flatten_forward_one(layer, model, in + x * layer->in.size, out + x * layer->out.size, saved);
}

static void flatten_backward(const ntk_layer *layer, const ntk_model *model, const double *cot_out,
                             int64_t count, int k, const double *saved, double *cot_in)
{
    for (int64_t r = 0; r < count * k; ++r)
        flatten_backward_one(layer, model, cot_out + r * layer->out.size, saved,
                             cot_in + r * layer->in.size);
}

static void flatten_cost(const ntk_layer *layer, int k, int full, int quadrature_order,
                         ntk_layer_cost *cost)
{
    (void)full;
    (void)quadrature_order;
    cost->feature_doubles = (double)layer->in.size + (double)k * (double)layer->out.size;
    cost->widest = 1;
}

const ntk_layer_ops ntk_layer_flatten = {
    .name = "flatten",
    .bare = 1,
    .infer = flatten_infer,
    .saved_doubles = flatten_saved,
    .forward = flatten_forward,
    .backward = flatten_backward,
    .forward_one = flatten_forward_one,
    .backward_one = flatten_backward_one,
    .cost = flatten_cost,
};
