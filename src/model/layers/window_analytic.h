/* The infinite-width maps of the window layers (conv, avg_pool,
 * global_avg_pool) on the spatial state of one pair of inputs
 * (ntk_spatial_state, model/layer.h), in neural-tangents' stax conventions
 * (ntk parameterisation; docs/analytic-conv.md):
 *   conv      Sigma'(p, p') = w^2 / q sum_d T(p s + d, p' s + d) + b^2,
 *             Theta'(p, p') = Sigma'(p, p') + w^2 / q sum_d Theta(p s + d, p' s + d),
 *             q = kh kw taps, the same tap d on both sides; a tap in the zero
 *             padding contributes 0 but counts in q, circular padding wraps;
 *   avg_pool  the mean over the pairs of taps (d, d') of both windows;
 *   global_avg_pool  the mean over all pairs of positions.
 * T is the covariance of the layer's input averaged over its channels (the
 * fan-in C_in q of the ntk parameterisation: w^2 / (C_in q) times the sum
 * over C_in channels and q taps). */
#ifndef NTK_MODEL_LAYERS_WINDOW_ANALYTIC_H
#define NTK_MODEL_LAYERS_WINDOW_ANALYTIC_H

#include "model/layer.h"
#include "model/layers/conv_geometry.h"

/* Convolution: output in the state's own form (diagonal or full). */
void window_analytic_conv(const conv_geometry *g, double w2, double b2, ntk_spatial_state *state);
/* Average pooling of a full state, output in state->out_form. */
void window_analytic_pool(const conv_geometry *g, ntk_spatial_state *state);
/* k > 1 when avg_pool `g`'s column taps are disjoint groups of k (window =
 * stride, no padding, the width a multiple) and its full map can run group
 * sums first: on a state whose columns are already summed so
 * (columns_pooled), or summing them itself; else 1. */
int64_t window_analytic_pool_column_groups(const conv_geometry *g);
/* Global average pooling of a full state: one position. */
void window_analytic_global_pool(ntk_spatial_state *state);

/* Their floating-point work per pair. */
double window_analytic_conv_flops(const conv_geometry *g, ntk_analytic_form form);
double window_analytic_pool_flops(const conv_geometry *g, ntk_analytic_form output_form);
#endif
