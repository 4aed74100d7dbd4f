/* What layer_norm and batch_norm share (layers/layer_norm.c,
 * layers/batch_norm.c): both are y = c gamma xhat + s beta per channel (the
 * last axis), with c = s = 1 (model/layer.h, `affine`), and differ only in
 * how xhat is made from x: layer_norm over the channels of each position,
 * batch_norm from the running statistics of each channel. Each passes its
 * own way of making xhat (normalisation_kind) to these helpers,
 * which do the parameters' part: tensors gamma and beta (C) and (C), their
 * Jacobian entries and block, the structured term (the Jacobian-block form:
 * a row is a channel, its gamma then its beta), and the costs.
 *
 *   d f_o / d gamma_c = c sum_p delta^o[p][c] xhat[p][c]
 *   d f_o / d beta_c  = s sum_p delta^o[p][c] */
#ifndef NTK_MODEL_LAYERS_NORMALISATION_H
#define NTK_MODEL_LAYERS_NORMALISATION_H

#include "model/model.h"

/* How a type makes xhat, a position (C values) at a time: `moments` of
 * the position first (layer_norm: its mean and 1 / sqrt(var + eps);
 * batch_norm: none), then xhat of any of its channels from them. */
typedef struct {
    void (*moments)(const ntk_layer *layer, const double *position, double *moments);
    double (*xhat)(const ntk_layer *layer, const ntk_model *model, const double *position,
                   const double *moments, int64_t channel);
} normalisation_kind;

/* Option slot 0 of both types: eps, torch's default 1e-5. */
enum { NORMALISATION_EPS = 0, NORMALISATION_OPTION_COUNT = 1 };
extern const ntk_layer_option normalisation_options[NORMALISATION_OPTION_COUNT];

static inline int64_t normalisation_channels(const ntk_layer *layer)
{
    return layer->in.dim[layer->in.rank - 1];
}

int normalisation_infer(const int64_t *option, const ntk_shape *in, ntk_shape *out, char *why,
                        size_t why_size);
void normalisation_tensors(const ntk_layer *layer, ntk_tensor_shape *weight,
                           ntk_tensor_shape *bias);
int64_t normalisation_fan_in(const ntk_layer *layer);

/* xhat of one input (in.size values). */
void normalisation_xhat_of(const ntk_layer *layer, const ntk_model *model,
                           const normalisation_kind *kind, const double *in, double *xhat);
/* y = c gamma xhat + s beta over `values` values of xhat (positions x C). */
void normalisation_affine(const ntk_layer *layer, const ntk_model *model, const double *xhat,
                          int64_t values, double *out);

void normalisation_jacobian_one(const ntk_layer *layer, const ntk_model *model,
                                const normalisation_kind *kind, const double *in,
                                const double *cot_out, int64_t begin, int64_t end, double *row);
void normalisation_jacobian_block(const ntk_layer *layer, const ntk_model *model,
                                  const normalisation_kind *kind, const double *in,
                                  const double *cot_out, int k, int64_t first, int64_t rows,
                                  double *scratch, double *block);
void normalisation_block_shape(const ntk_layer *layer, ntk_block_shape *shape);
void normalisation_structured_term(const ntk_layer *layer, int k, int full,
                                   ntk_structured_term *term);
/* The costs of the parameters' part; `pass_flops` the multiply-adds of a
 * forward pass (and of a backward row) of the type, `saved` its saved doubles. */
void normalisation_cost(const ntk_layer *layer, int k, int full, double pass_flops, double saved,
                        ntk_layer_cost *cost);

#endif
