/* The model's small vocabulary, shared with the job module (job.h includes
 * this header, not the other way round): activations, parameterisations and
 * one written layer of model.layers.
 *
 * A layer is an entry of the layer registry (model/layer.h): `ops` says which
 * type it is, `option` holds that type's options as its syntax table lists
 * them (dense: option[0] = width; activations have none). Nothing else in the
 * program needs to know which types exist. */
#ifndef NTK_MODEL_LAYER_TYPES_H
#define NTK_MODEL_LAYER_TYPES_H

#include <stdint.h>

enum {
    NTK_MAX_DENSE = 64,                   /* layers with parameters in one model */
    NTK_MAX_LAYERS = 2 * NTK_MAX_DENSE,   /* entries of model.layers, activations included */
    NTK_LAYER_MAX_OPTIONS = 8             /* options of one layer (a conv layer needs ~6) */
};

typedef enum {
    NTK_ACT_IDENTITY = 0,
    NTK_ACT_RELU,
    NTK_ACT_ERF,
    NTK_ACT_TANH,
    NTK_ACT_GELU
} ntk_activation;

typedef enum { NTK_PARAM_NTK = 0, NTK_PARAM_STANDARD } ntk_parameterization;

typedef struct ntk_layer_ops ntk_layer_ops;

/* One item of model.layers as written. */
typedef struct {
    const ntk_layer_ops *ops;                /* its type (an entry of the registry) */
    int64_t option[NTK_LAYER_MAX_OPTIONS];   /* per the type's syntax table */
    int line, column;                        /* in the job file; 0 when set by --set */
} ntk_layer_spec;

#endif
