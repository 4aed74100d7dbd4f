/* The layer registry: every layer type ntkgram knows, in the order messages
 * list them. Adding a type is one file under src/model/layers/ defining its
 * ntk_layer_ops and, here, its declaration and its entry (docs/layers.md).
 * Dense and the activations are declared in model/layer.h because the dense
 * summary of a job (job.h) refers to them. */
#include <string.h>

#include "model/layer.h"

extern const ntk_layer_ops ntk_layer_conv, ntk_layer_avg_pool, ntk_layer_global_avg_pool,
    ntk_layer_flatten;

static const ntk_layer_ops *const registry[] = {
    &ntk_layer_dense,
    &ntk_layer_relu,
    &ntk_layer_erf,
    &ntk_layer_tanh,
    &ntk_layer_gelu,
    &ntk_layer_identity,
    &ntk_layer_conv,
    &ntk_layer_avg_pool,
    &ntk_layer_global_avg_pool,
    &ntk_layer_flatten,
};

int ntk_layer_type_count(void) { return (int)(sizeof registry / sizeof registry[0]); }

const ntk_layer_ops *ntk_layer_type(int index)
{
    return index >= 0 && index < ntk_layer_type_count() ? registry[index] : NULL;
}

const ntk_layer_ops *ntk_layer_find(const char *name)
{
    for (int i = 0; i < ntk_layer_type_count(); ++i)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}
