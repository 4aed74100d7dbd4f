/* The layer registry: every layer type and every activation ntkgram knows,
 * in the order messages list them. Adding one is a file defining its table
 * (a layer type: `const ntk_layer_ops ntk_layer_<type>` under
 * src/model/layers/; an activation: `const ntk_activation_ops
 * ntk_activation_<name>` under src/model/activations/) and its line below
 * (docs/layers.md). */
#include <string.h>

#include "model/activation.h"

/* One line per type: LAYER(type) or ACTIVATION(name). */
#define NTK_REGISTRY(LAYER, ACTIVATION)                                                            \
    LAYER(dense)                                                                                   \
    ACTIVATION(relu)                                                                               \
    ACTIVATION(erf)                                                                                \
    ACTIVATION(tanh)                                                                               \
    ACTIVATION(gelu)                                                                               \
    ACTIVATION(identity)                                                                           \
    ACTIVATION(sigmoid)                                                                            \
    ACTIVATION(softplus)                                                                           \
    ACTIVATION(silu)                                                                               \
    ACTIVATION(leaky_relu)                                                                         \
    ACTIVATION(elu)                                                                                \
    ACTIVATION(abs)                                                                                \
    LAYER(conv)                                                                                    \
    LAYER(avg_pool)                                                                                \
    LAYER(max_pool)                                                                                \
    LAYER(global_avg_pool)                                                                         \
    LAYER(layer_norm)                                                                              \
    LAYER(batch_norm)                                                                              \
    LAYER(flatten)

#define DECLARE_LAYER(type) extern const ntk_layer_ops ntk_layer_##type;
#define DECLARE_ACTIVATION(name) extern const ntk_activation_ops ntk_activation_##name;
NTK_REGISTRY(DECLARE_LAYER, DECLARE_ACTIVATION)

#define LAYER_ENTRY(type) &ntk_layer_##type,
#define ACTIVATION_ENTRY(name) &ntk_activation_##name.layer,
static const ntk_layer_ops *const registry[] = {NTK_REGISTRY(LAYER_ENTRY, ACTIVATION_ENTRY)};

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

/* The activations are the registry's entries that have an activation table. */
int ntk_activation_count(void)
{
    int count = 0;
    for (int i = 0; i < ntk_layer_type_count(); ++i)
        count += registry[i]->activation != NULL;
    return count;
}

ntk_activation ntk_activation_at(int index)
{
    for (int i = 0; i < ntk_layer_type_count(); ++i)
        if (registry[i]->activation != NULL && index-- == 0)
            return registry[i]->activation;
    return NULL;
}

ntk_activation ntk_activation_find(const char *name)
{
    const ntk_layer_ops *ops = ntk_layer_find(name);
    return ops != NULL ? ops->activation : NULL;
}

const ntk_layer_ops *ntk_layer_of_activation(ntk_activation act) { return &act->layer; }

const char *ntk_activation_name(ntk_activation act) { return act->layer.name; }
