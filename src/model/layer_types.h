/* The model's small vocabulary, shared with the job module (job.h includes
 * this header, not the other way round): activation handles,
 * parameterisations and one written layer of model.layers.
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
    NTK_LAYER_MAX_OPTIONS = 12,           /* option slots of one layer (a conv layer needs 9) */
    NTK_LAYER_NAME_MAX = 64               /* a layer's name (a torch module path), with its NUL */
};

/* An activation: a handle to its table (model/activation.h), one file per
 * activation under src/model/activations/, listed in the layer registry. */
typedef struct ntk_activation_ops ntk_activation_ops;
typedef const struct ntk_activation_ops *ntk_activation;

/* The built-in activations by name, for code that builds a model by hand
 * (the dense summary of job.h, tests). The set is open: an activation added
 * later needs no name here, the job reader finds it in the registry. */
extern const struct ntk_activation_ops ntk_activation_identity, ntk_activation_relu,
    ntk_activation_erf, ntk_activation_tanh, ntk_activation_gelu;
#define NTK_ACT_IDENTITY (&ntk_activation_identity)
#define NTK_ACT_RELU (&ntk_activation_relu)
#define NTK_ACT_ERF (&ntk_activation_erf)
#define NTK_ACT_TANH (&ntk_activation_tanh)
#define NTK_ACT_GELU (&ntk_activation_gelu)

typedef enum { NTK_PARAM_NTK = 0, NTK_PARAM_STANDARD } ntk_parameterization;

typedef struct ntk_layer_ops ntk_layer_ops;

/* One item of model.layers as written. */
typedef struct {
    const ntk_layer_ops *ops;                /* its type (an entry of the registry) */
    int64_t option[NTK_LAYER_MAX_OPTIONS];   /* per the type's syntax table */
    int line, column;                        /* in the job file; 0 when set by --set */
    /* Its `name:` ("" for none): the weights file's tensors <name>.weight,
     * <name>.bias, ... are this layer's (model/weights.h). */
    char name[NTK_LAYER_NAME_MAX];
} ntk_layer_spec;

#endif
