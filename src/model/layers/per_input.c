/* Ops shared by layer types (model/layer.h): the batched passes as the
 * one-input ones, and saved_doubles of a type that saves nothing. */
#include "model/model.h"

int64_t ntk_layer_saves_nothing(const ntk_layer *layer)
{
    (void)layer;
    return 0;
}

/* `saved` goes unchanged to every input: the type saves nothing. */
void ntk_layer_forward_per_input(const ntk_layer *layer, const ntk_model *model, const double *in,
                                 int64_t count, double *out, double *saved)
{
    for (int64_t x = 0; x < count; ++x)
        layer->ops->forward_one(layer, model, in + x * layer->in.size, out + x * layer->out.size,
                                saved);
}

void ntk_layer_backward_per_row(const ntk_layer *layer, const ntk_model *model,
                                const double *cot_out, int64_t count, int k, const double *saved,
                                double *cot_in)
{
    for (int64_t r = 0; r < count * k; ++r)
        layer->ops->backward_one(layer, model, cot_out + r * layer->out.size, saved,
                                 cot_in + r * layer->in.size);
}
