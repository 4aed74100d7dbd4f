/* The conv layer's products with the Jacobian of its own parameters (the
 * param_vjp / param_jvp ops of model/layer.h, for spectrum.solver
 * matrix_free), over the im2col patch matrices of its inputs. conv.c owns
 * the layer; it hands these its geometry. */
#ifndef NTK_MODEL_LAYERS_CONV_PRODUCTS_H
#define NTK_MODEL_LAYERS_CONV_PRODUCTS_H

#include <stdint.h>

#include "core/status.h"
#include "model/layers/conv_geometry.h"
#include "model/model.h"

/* conv.c's im2col: the patch matrix of one input, positions x (C_in kh kw),
 * row p the window of output position p in the weights' order (i, dy, dx). */
void conv_patches(const conv_geometry *g, const double *in, double *patches);

/* Doubles of the patch-matrix scratch a product allocates, at most: whole
 * inputs up to CONV_PRODUCT_SCRATCH_DOUBLES (32 MiB), at least one. */
enum { CONV_PRODUCT_SCRATCH_DOUBLES = 1 << 22 };
int64_t conv_product_scratch_doubles(const conv_geometry *g);

/* Their costs (ntk_layer_cost's product_* fields) for k logits. */
void conv_products_cost(const ntk_layer *layer, const conv_geometry *g, int k,
                        ntk_layer_cost *cost);

/* The ops' contract (model/layer.h), `layer` a conv layer of geometry `g`. */
ntk_status conv_products_vjp(const ntk_layer *layer, const ntk_model *model,
                             const conv_geometry *g, const double *in, const double *cot_out,
                             int64_t count, int k, const double *weight, double *scratch,
                             double *grad);
ntk_status conv_products_jvp(const ntk_layer *layer, const ntk_model *model,
                             const conv_geometry *g, const double *in, const double *cot_out,
                             int64_t count, int k, const double *direction, double *scratch,
                             double *out);

#endif
