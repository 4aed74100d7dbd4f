/* The conv layer's forward and backward passes and its Jacobian block with
 * the GEMMs in float32 (kernel.precision float32 and mixed,
 * model/single_passes.h). conv.c owns the layer and hands these its
 * geometry. Every SGEMM is one input's (forward, block) or one cotangent
 * row's (backward), a shape that depends on the layer alone, so an input's
 * values never depend on the batch it is in or on the ranks. */
#ifndef NTK_MODEL_LAYERS_CONV_SINGLE_H
#define NTK_MODEL_LAYERS_CONV_SINGLE_H

#include <stdint.h>

#include "model/layers/conv_geometry.h"
#include "model/single_passes.h"

/* Floats of scratch the three need (ntk_layer_cost's single_scratch_floats). */
int64_t conv_single_scratch_floats(const conv_geometry *g, int64_t c_out);

/* out = scale * P W^T per input (P its patch matrix, W the c_out x depth
 * float weights), without the bias. */
void conv_single_forward(const conv_geometry *g, int64_t c_out, const float *weight, double scale,
                         const ntk_single_passes *pass, const double *in, int64_t in_size,
                         int64_t count, double *out);

/* cot_in = scatter(scale * cot_out W) per row of `rows` cotangent rows. */
void conv_single_backward(const conv_geometry *g, int64_t c_out, const float *weight,
                          double scale, const ntk_single_passes *pass, const double *cot_out,
                          int64_t in_size, int64_t rows, double *cot_in);

/* The weights' part of the Jacobian block of output channels [first, first
 * + rows) for logit rows of `cot_out` (k rows of out_size values): block row
 * o, values [0, rows depth): scale * delta^o[:, first:first+rows]^T P, row o
 * `width` doubles apart. */
void conv_single_block(const conv_geometry *g, int64_t c_out, double scale,
                       const ntk_single_passes *pass, const double *in, const double *cot_out,
                       int64_t out_size, int k, int64_t first, int64_t rows, int64_t width,
                       double *block);

#endif
