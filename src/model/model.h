/* The network: a stack of dense layers with activations, and its parameters.
 *
 *   z_l = c_l W_l h_{l-1} + s_l b_l,  h_0 = x,  h_l = phi_l(z_l) (l <= L),  f = z_{L+1}
 *
 * Layers are numbered l = 1..L+1 as in docs/design.md, "Math and conventions";
 * index 0 of `width` is the
 * input dimension d. Weights are stored as torch.nn.Linear does, (out, in)
 * row-major: W_l[i * n_{l-1} + j]. Parameters come from a counter-based RNG
 * keyed by (seed, layer, kind, index), so every rank derives identical
 * parameters independently and results never depend on the number of ranks.
 *
 * Parameter order (for Jacobian rows and params files): for l = 1..L+1,
 * all of W_l row-major, then b_l when the layer has a bias.
 */
#ifndef NTK_MODEL_MODEL_H
#define NTK_MODEL_MODEL_H

#include <stdint.h>

#include "core/status.h"
#include "job/job.h"

typedef struct {
    int n_layers;                           /* L+1 dense layers */
    int64_t width[NTK_MAX_DENSE + 1];       /* width[0] = d, width[l] = n_l */
    ntk_activation act[NTK_MAX_DENSE + 1];  /* act[l] after layer l; act[L+1] = identity */
    double weight_scale[NTK_MAX_DENSE + 1]; /* c_l */
    double bias_scale[NTK_MAX_DENSE + 1];   /* s_l */
    int has_bias[NTK_MAX_DENSE + 1];
    double *weight[NTK_MAX_DENSE + 1];      /* W_l: n_l x n_{l-1}, row-major */
    double *bias[NTK_MAX_DENSE + 1];        /* b_l: n_l, NULL without bias */
    int64_t n_params;
} ntk_model;

/* Build the model for inputs of dimension `input_dim`: from model.seed, or from
 * model.weights when set. Rank-local. */
ntk_status model_create(const ntk_model_spec *spec, int64_t input_dim, ntk_model *model);
void model_destroy(ntk_model *model);

static inline int model_outputs(const ntk_model *model) { return (int)model->width[model->n_layers]; }

/* Offset of W_l (and b_l right after it) in the flat parameter vector. */
int64_t model_param_offset(const ntk_model *model, int layer);

/* Copy all parameters to / from a flat vector of length n_params. */
void model_get_params(const ntk_model *model, double *flat);
void model_set_params(ntk_model *model, const double *flat);

/* Activation and its derivative, elementwise. */
double model_phi(ntk_activation act, double z);
double model_phi_prime(ntk_activation act, double z);

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
    double *input[NTK_MAX_DENSE + 2];
    double *cotangent[NTK_MAX_DENSE + 2];
    double *output;
    int64_t capacity;                     /* inputs the buffers hold */
    double *slope[NTK_MAX_DENSE + 2];     /* internal: phi'(z_l) of the hidden layers */
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

/* Just f(x) for a batch (count x k). */
ntk_status model_forward(const ntk_model *model, const double *x, int64_t count,
                         double *output);

/* Explicit Jacobian rows df_o(x)/dp for parameters [first, first + length):
 * rows (x, o) in order x * k + o, into `rows` (count*k x length, row-major).
 * Computed by its own forward/backward pass, independent of model_features. */
ntk_status model_jacobian_rows(const ntk_model *model, const double *x, int64_t count,
                               int64_t first, int64_t length, double *rows);

#endif
