/* flatten: (H, W, C) or (L, C) inputs, stored channels last, to one vector in
 * PyTorch's order (channel-major: C x H x W, C x L), so a dense layer after it
 * takes torch.nn.Linear weights of an nn.Sequential(..., Flatten(), Linear)
 * unchanged. Flat inputs pass through. A permutation (a transpose per input):
 * backward is its inverse. */
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

/* to = the transpose of `from`, a rows x cols matrix (row-major). */
static void flatten_transpose(const double *from, int64_t rows, int64_t cols, double *to)
{
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < cols; ++j)
            to[j * rows + r] = from[r * cols + j];
}

/* Channels and positions of the input (1 channel for flat inputs). */
static void flatten_sizes(const ntk_layer *layer, int64_t *channels, int64_t *positions)
{
    *channels = layer->in.rank == 1 ? 1 : layer->in.dim[layer->in.rank - 1];
    *positions = layer->in.size / *channels;
}

/* The input is positions x channels, the output channels x positions. */
static void flatten_forward_one(const ntk_layer *layer, const ntk_model *model, const double *in,
                                double *out, double *saved)
{
    (void)model;
    (void)saved;
    int64_t c, positions;
    flatten_sizes(layer, &c, &positions);
    flatten_transpose(in, positions, c, out);
}

static void flatten_backward_one(const ntk_layer *layer, const ntk_model *model,
                                 const double *cot_out, const double *saved, double *cot_in)
{
    (void)model;
    (void)saved;
    int64_t c, positions;
    flatten_sizes(layer, &c, &positions);
    flatten_transpose(cot_out, c, positions, cot_in);
}

static void flatten_cost(const ntk_layer *layer, int k, int full, int quadrature_order,
                         ntk_layer_cost *cost)
{
    (void)full;
    (void)quadrature_order;
    cost->feature_doubles = (double)layer->in.size + (double)k * (double)layer->out.size;
    cost->widest = 1;
}

/* Infinite-width map: values keep their positions' covariances; the dense
 * layer after a flatten reads matching positions only (the mean over its
 * H W C inputs), so a flatten needs only the diagonal of its input and
 * passes it on. */
static int flatten_analytic_spatial(const ntk_layer *layer, const ntk_analytic_context *context,
                                    ntk_spatial_state *state)
{
    (void)layer;
    (void)context;
    const int64_t step = state->form == NTK_ANALYTIC_FULL ? state->positions + 1 : 1;
    for (int64_t p = 0; p < state->positions; ++p) {
        state->next_sigma[p] = state->sigma[p * step];
        if (state->has_theta)
            state->next_theta[p] = state->theta[p * step];
    }
    return 0;
}

static ntk_analytic_form flatten_analytic_input_form(const ntk_layer *layer,
                                                     ntk_analytic_form output_form)
{
    (void)layer;
    (void)output_form;
    return NTK_ANALYTIC_DIAGONAL;
}

static double flatten_analytic_flops(const ntk_layer *layer, int64_t positions,
                                     ntk_analytic_form input_form, ntk_analytic_form output_form,
                                     int quadrature_order)
{
    (void)layer;
    (void)input_form;
    (void)output_form;
    (void)quadrature_order;
    return (double)positions;
}

const ntk_layer_ops ntk_layer_flatten = {
    .name = "flatten",
    .bare = 1,
    .infer = flatten_infer,
    .saved_doubles = ntk_layer_saves_nothing,
    .forward = ntk_layer_forward_per_input,
    .backward = ntk_layer_backward_per_row,
    .forward_one = flatten_forward_one,
    .backward_one = flatten_backward_one,
    .analytic_spatial = flatten_analytic_spatial,
    .analytic_input_form = flatten_analytic_input_form,
    .analytic_spatial_flops = flatten_analytic_flops,
    .cost = flatten_cost,
};
