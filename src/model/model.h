/* The network: the layers of model.layers (model/layer.h), and the
 * parameters of those that have them.
 *
 *   z_l = c_l W_l h_{l-1} + s_l b_l,  h_0 = x,  h_l = phi_l(z_l) (l <= L),  f = z_{L+1}
 *
 * `stack` is every layer in job order, activations included; the arrays
 * indexed l = 1..n_layers are the layers with parameters (the dense layers
 * l = 1..L+1 of docs/design.md), whose tensors this struct owns: weight[l]
 * in torch layout (dense: (out, in) row-major, W_l[i * n_{l-1} + j]),
 * bias[l] or NULL, and the scales c_l, s_l. width[l] is layer l's output
 * size per input (width[0] the input size) and act[l] the activation right
 * after it (identity when none follows). Parameters come from a
 * counter-based RNG keyed by (seed, layer, kind, index), so every rank
 * derives identical parameters independently and results never depend on
 * the number of ranks.
 *
 * Parameter order (for Jacobian rows and params files): for l = 1..L+1,
 * all of W_l row-major, then b_l when the layer has a bias.
 */
#ifndef NTK_MODEL_MODEL_H
#define NTK_MODEL_MODEL_H

#include <stdint.h>

#include "core/status.h"
#include "model/activation.h"
#include "model/model_config.h"
#include "model/layer.h"

typedef struct ntk_model {
    int n_layers;                           /* layers with parameters (L+1 dense layers) */
    int64_t width[NTK_MAX_DENSE + 1];       /* width[0] = input size, width[l] = n_l */
    ntk_activation act[NTK_MAX_DENSE + 1];  /* act[l] after layer l; act[L+1] = identity */
    double weight_scale[NTK_MAX_DENSE + 1]; /* c_l */
    double bias_scale[NTK_MAX_DENSE + 1];   /* s_l */
    int has_bias[NTK_MAX_DENSE + 1];
    double *weight[NTK_MAX_DENSE + 1];      /* W_l, torch layout */
    double *bias[NTK_MAX_DENSE + 1];        /* b_l, NULL without bias */
    ntk_tensor_shape weight_shape[NTK_MAX_DENSE + 1], bias_shape[NTK_MAX_DENSE + 1];
    /* layer l's buffers (model/layer.h: batch_norm's running statistics),
     * NULL for a type without: no parameters, fixed by the weights file or
     * their defaults */
    double *buffer[NTK_MAX_DENSE + 1];
    int64_t param_offset[NTK_MAX_DENSE + 2]; /* of W_l; [n_layers + 1] = n_params */
    int64_t n_params;
    int n_stack;                            /* every layer, activations included */
    ntk_layer stack[NTK_MAX_LAYERS];
} ntk_model;

/* The layer list of a spec: spec->layers, or, for a spec that fills only the
 * dense summary (n_layers == 0), dense layers with act[i] after layer i
 * (identity activations left out). */
void model_spec_layers(const ntk_model_spec *spec, ntk_layer_spec *list, int *count);

/* The same as an NTK_ERR_JOB naming the layer: "FILE:LINE:COL:
 * model.layers[i].dense: reason" (`file`: the job file). Rank-local. */
ntk_status model_spec_check(const ntk_model_spec *spec, const char *file, const ntk_shape *input);

/* Layers of the model built on inputs of shape `input`, with their
 * shapes, parameter indices and costs summed (plan). Rank-local. */
typedef struct {
    int n_stack;
    ntk_layer stack[NTK_MAX_LAYERS];
    int64_t n_params;     /* with biases when has_bias */
    int64_t k;            /* outputs */
} model_layout;
ntk_status model_layout_make(const ntk_model_spec *spec, const char *file, const ntk_shape *input,
                             int has_bias, model_layout *layout);

/* Costs summed over the layers (per input); backward flops count every layer
 * but the first, whose input needs no cotangent. */
typedef struct {
    double forward_flops, backward_flops; /* multiply-adds; backward per (x, o) row */
    double feature_doubles, packed_doubles, tile_flops_per_pair, analytic_pair_flops;
    double block_flops;                   /* structured: Jacobian blocks per input */
    int64_t widest;
    int has_analytic, has_structured;     /* every layer has the map / term */
    /* matrix-free products (ntk_layer_cost): multiply-adds summed, widths
     * and allocated scratch (per input, limit) the largest of any layer */
    double product_flops, product_scratch_doubles, product_scratch_limit;
    int64_t product_width;
} model_costs;
void model_layout_costs(const model_layout *layout, int full, int quadrature_order,
                        model_costs *costs);

/* Build the model for inputs of dimension `input_dim`: from model.seed, or from
 * model.weights when set. Rank-local. */
ntk_status model_create(const ntk_model_spec *spec, int64_t input_dim, ntk_model *model);
/* The same for inputs of any shape (a tensor per input, channels last). */
ntk_status model_create_shaped(const ntk_model_spec *spec, const ntk_shape *input,
                               ntk_model *model);
void model_destroy(ntk_model *model);

static inline int model_outputs(const ntk_model *model) { return (int)model->width[model->n_layers]; }

/* The layer of the stack that holds parameters l (1..n_layers). */
const ntk_layer *model_param_layer(const ntk_model *model, int l);

/* Offset of W_l (and b_l right after it) in the flat parameter vector;
 * n_params for layer > n_layers. */
int64_t model_param_offset(const ntk_model *model, int layer);

/* Copy all parameters to / from a flat vector of length n_params. */
void model_get_params(const ntk_model *model, double *flat);
void model_set_params(ntk_model *model, const double *flat);

/* Activation and its derivative, elementwise (model/activations/). */
double model_phi(ntk_activation act, double z);
double model_phi_prime(ntk_activation act, double z);
/* Whether the infinite-width expectations of `act` have a closed form. */
int model_activation_has_closed_form(ntk_activation act);

/* Forward and backward information for a batch of inputs: what every NTK
 * method needs. For layer l = 1..L+1:
 *   input[l]: h_{l-1}, count x n_{l-1} row-major (input[1] = the inputs)
 *   cotangent[l]: delta_l^o(x) = df_o/dz_l, count x k x n_l, element
 *                 [(x * k + o) * n_l + j]
 *   output: f(x), count x k
 */
typedef struct {
    int64_t count;
    int k;
    int n_layers;
    double *input[NTK_MAX_DENSE + 2];     /* views into `value` */
    double *cotangent[NTK_MAX_DENSE + 2]; /* views into `cot` */
    double *output;
    int64_t capacity;                     /* inputs the buffers hold */
    /* internal, per layer i of model->stack: its input value[i] (value[n_stack]
     * = output; an in-place layer shares its input's buffer), the cotangents
     * of value[i] (none for value[0]) and its saved state */
    double *value[NTK_MAX_LAYERS + 1];
    double *cot[NTK_MAX_LAYERS + 1];
    double *saved[NTK_MAX_LAYERS];
    int n_owned;
    double *owned[3 * NTK_MAX_LAYERS + 2]; /* the distinct allocations */
    /* float32 GEMMs in the layers that have them (model/single_passes.h),
     * owned; NULL: float64 passes */
    struct ntk_single_passes *single;
} ntk_features;

ntk_status model_features(const ntk_model *model, const double *x, int64_t count,
                          ntk_features *features);
void model_features_free(ntk_features *features);

/* The same for a loop of batches: model_features_reserve allocates buffers for
 * up to `capacity` inputs once, and each model_features_into call (count <=
 * capacity) reuses them, since fresh memory costs page faults. The values are
 * those of model_features. Free with model_features_free. */
ntk_status model_features_reserve(const ntk_model *model, int64_t capacity,
                                  ntk_features *features);
ntk_status model_features_into(const ntk_model *model, const double *x, int64_t count,
                               ntk_features *features);
/* model_features_into whose backward pass stops once cotangent[l] of layer
 * `lowest` (1-based among layers with parameters) is known: the cotangents of
 * the layers below it are left unset. For the structured kernel's parameter
 * chunks of one layer, whose backward pass to the first layer would cost k
 * times the forward pass for nothing. */
ntk_status model_features_down_to(const ntk_model *model, const double *x, int64_t count,
                                  int lowest, ntk_features *features);

/* model_features_reserve whose passes run their layers' GEMMs in float32
 * (kernel.precision float32 and mixed, model/single_passes.h), in units of
 * `unit` inputs. */
ntk_status model_features_reserve_single(const ntk_model *model, int64_t capacity, int64_t unit,
                                         ntk_features *features);
/* model_features_down_to for inputs x whose first has the global index
 * `index` (float32 passes put each input at its place in its unit; float64
 * passes ignore it). */
ntk_status model_features_batch(const ntk_model *model, const double *x, int64_t count,
                                int64_t index, int lowest, ntk_features *features);

/* Just f(x) for a batch (count x k). */
ntk_status model_forward(const ntk_model *model, const double *x, int64_t count,
                         double *output);

/* Explicit Jacobian rows df_o(x)/dp for parameters [first, first + length):
 * rows (x, o) in order x * k + o, into `rows` (count*k x length, row-major).
 * Computed by its own forward/backward pass, independent of model_features. */
ntk_status model_jacobian_rows(const ntk_model *model, const double *x, int64_t count,
                               int64_t first, int64_t length, double *rows);

#endif
