/* The model section's configuration (model.layers, parameterization,
 * w_std, b_std, seed, weights). Its keys are described in model/model_keys.c. */
#ifndef NTK_MODEL_MODEL_CONFIG_H
#define NTK_MODEL_MODEL_CONFIG_H

#include <stdint.h>

#include "core/location.h"
#include "model/layer_types.h"
#include "core/config_keys.h"

typedef struct {
    int n_layers;                        /* entries of model.layers, activations included */
    ntk_layer_spec layers[NTK_MAX_LAYERS];
    /* The dense summary, filled by the parser from `layers` for a stack of
     * dense layers and activations. Code that builds a spec by hand may fill
     * only this and leave n_layers 0 (model_spec_layers expands it). */
    int n_dense;                         /* L+1 dense layers */
    int64_t width[NTK_MAX_DENSE];        /* output width of dense layer i (0-based) */
    ntk_activation act
        [NTK_MAX_DENSE]; /* activation after dense layer i (NULL: identity); identity after the last */
    ntk_location layer_where[NTK_MAX_DENSE]; /* where dense layer i is written */
    ntk_parameterization parameterization; /* default ntk */
    double w_std;                        /* default 1.0 */
    double b_std;                        /* default 0.0 = no bias parameters */
    uint64_t seed;                       /* default 0 */
    char weights_path[NTK_PATH_MAX];     /* model.weights (.safetensors), "" = from seed */
    ntk_location where;                  /* the model key */
} ntk_model_spec;

extern const ntk_choice_table model_parameterization_names; /* ntk_parameterization */
extern const ntk_config_section model_section;

#endif
