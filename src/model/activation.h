/* The activation interface: one file per activation under
 * src/model/activations/, one line per activation in the layer registry
 * (src/model/layers/registry.c); docs/layers.md has a worked example.
 *
 * An activation states the elementwise function phi and its derivative and,
 * where one is known, the closed form of its infinite-width Gaussian maps
 *   E[phi(u) phi(v)] and E[phi'(u) phi'(v)],  (u, v) ~ N(0, [[s11, s12], [s12, s22]]);
 * without one the analytic kernel integrates phi and phi' by Gauss-Hermite
 * quadrature (kernel/analytic_expectation.c), so the limit is always the one
 * of exactly the network the empirical kernels differentiate.
 *
 * It is a layer type too: its first member is its ntk_layer_ops, filled by
 * NTK_ACTIVATION_LAYER with the shared activation layer (activation_layer.c:
 * elementwise forward keeping phi', backward multiplying by it, the
 * infinite-width step, costs). Every other part of the program sees it
 * through that table, as it sees any layer; ops->activation leads back here. */
#ifndef NTK_MODEL_ACTIVATION_H
#define NTK_MODEL_ACTIVATION_H

#include <stdint.h>

#include "model/layer.h"

/* An activation's parameters (leaky_relu's slope, elu's alpha): the values
 * of its layer's REAL options, in the order its table lists them (entry i
 * is option i, in slot i). An activation without options ignores them. */
enum { NTK_ACTIVATION_MAX_PARAMETERS = 2 };

/* Rows of an activation's Gaussians in the spatial recursion: x at `rows`
 * positions (row r: variance s11[r]) against x' at n positions (variances
 * s22[e], covariances s12[r ld + e]), with the standard deviations of both
 * (sqrt of the variances, and their inverses), computed once per position,
 * so a pair of positions' correlation is two products instead of a square
 * root and a quotient. That correlation rounds differently from
 * s12 / sqrt(s11 s22), which the maps' slope turns into a difference of
 * order 1e-16 / sqrt(1 - rho^2): the rows keep the quotient's bits for
 * |rho| close to 1, and the exact 1 of an input against itself there. */
typedef struct {
    const double *s11, *deviation_11, *inverse_deviation_11; /* per row */
    const double *s22, *deviation_22, *inverse_deviation_22; /* per column */
    const double *s12;
    int64_t ld; /* of s12, and of theta (gaussian_rows) */
} ntk_gaussian_rows;

struct ntk_activation_ops {
    ntk_layer_ops layer;          /* NTK_ACTIVATION_LAYER(self, "name") */
    double (*phi)(double z, const double *parameter);
    double (*phi_prime)(double z, const double *parameter);
    /* Optional, for a cheap phi whose batched pass should vectorise: over n
     * elements, slope[e] = phi'(in[e]) and out[e] = phi(in[e]) (out may be
     * in), the very values of phi and phi_prime. NULL: element by element
     * through them. */
    void (*apply)(const double *in, int64_t n, const double *parameter, double *out,
                  double *slope);
    /* Optional: the Gaussian maps in closed form (phi: E[phi(u) phi(v)],
     * phi_prime: E[phi'(u) phi'(v)]), for any covariance a floating-point
     * recursion produces (a variance may be 0, |s12| may exceed
     * sqrt(s11 s22) by rounding). NULL: quadrature. */
    ntk_moments (*gaussian)(double s11, double s12, double s22, const double *parameter);
    /* Optional, for the spatial recursion's rows (`rows` positions of x
     * against n positions of x'): phi[r ld_out + e] and phi_prime[r ld_out
     * + e] of `gaussian` at (s11[r], s12[r ld + e], s22[e]), equal to its
     * values to a few units of rounding (more where the map itself is
     * ill-conditioned: ntk_gaussian_rows), vectorised; phi_prime times
     * theta[r ld + e] when theta is not NULL (the NTK through the
     * activation, in the same pass). NULL: `gaussian` element by element. */
    void (*gaussian_rows)(const ntk_gaussian_rows *block, int64_t rows, int64_t n,
                          const double *parameter, const double *theta, double *phi,
                          double *phi_prime, int64_t ld_out);
};

/* The parameters of an activation layer from its option slots; those of
 * its defaults when `option` is NULL. */
void ntk_activation_parameters(ntk_activation act, const int64_t *option, double *parameter);

/* The activation layer's ops (activation_layer.c), which NTK_ACTIVATION_LAYER
 * puts in every activation's table. */
int ntk_activation_layer_infer(const int64_t *option, const ntk_shape *in, ntk_shape *out,
                               char *why, size_t why_size);
int64_t ntk_activation_layer_saved(const ntk_layer *layer);
void ntk_activation_layer_forward(const ntk_layer *layer, const struct ntk_model *model,
                                  const double *in, int64_t count, double *out, double *slope);
void ntk_activation_layer_backward(const ntk_layer *layer, const struct ntk_model *model,
                                   const double *cot_out, int64_t count, int k,
                                   const double *slope, double *cot_in);
void ntk_activation_layer_forward_one(const ntk_layer *layer, const struct ntk_model *model,
                                      const double *in, double *out, double *slope);
void ntk_activation_layer_backward_one(const ntk_layer *layer, const struct ntk_model *model,
                                       const double *cot_out, const double *slope,
                                       double *cot_in);
int ntk_activation_layer_analytic(const ntk_layer_spec *layer,
                                  const ntk_analytic_context *context,
                                  ntk_analytic_state *state);
int ntk_activation_layer_analytic_spatial(const ntk_layer *layer,
                                          const ntk_analytic_context *context,
                                          ntk_spatial_state *state);
/* An activation layer's Gaussian rows as a row map (ntk_spatial_row_map)
 * for a full state: the variances and deviations of both inputs at its
 * positions as `state` has them (the driver sets them before the layer
 * that writes the activation's input); `context` holds what the map reads
 * and must outlive its use. Zero when the activation has no row form
 * (gaussian_rows), so the layer must run on its own. */
typedef struct {
    const struct ntk_activation_ops *act;
    double parameter[NTK_ACTIVATION_MAX_PARAMETERS];
    const double *variance_1, *variance_2, *deviation_1, *deviation_2, *inverse_deviation_1,
        *inverse_deviation_2;
} ntk_activation_row_context;

int ntk_activation_row_map(const ntk_layer *layer, const ntk_spatial_state *state,
                           ntk_activation_row_context *context, ntk_spatial_row_map *map);
double ntk_activation_layer_analytic_flops(const ntk_layer *layer, int64_t positions,
                                           ntk_analytic_form input_form,
                                           ntk_analytic_form output_form, int quadrature_order);
void ntk_activation_layer_cost(const ntk_layer *layer, int k, int full, int quadrature_order,
                               ntk_layer_cost *cost);

/* The layer part of an activation's table: `self` is the table being
 * defined, `text` its name in model.layers (written bare: relu). An
 * activation with parameters uses NTK_ACTIVATION_LAYER_WITH_OPTIONS with its
 * REAL options (slots 0, 1, ...): written bare it takes their defaults,
 * {leaky_relu: 0.2} sets the first, {leaky_relu: {slope: 0.2}} by key. */
#define NTK_ACTIVATION_LAYER(self, text) NTK_ACTIVATION_LAYER_WITH_OPTIONS(self, text, NULL, 0)
#define NTK_ACTIVATION_LAYER_WITH_OPTIONS(self, text, option_table, option_count)                  \
    {                                                                                              \
        .name = text,                                                                              \
        .activation = &self,                                                                       \
        .options = option_table,                                                                   \
        .n_options = option_count,                                                                 \
        .bare = 1,                                                                                 \
        .in_place = 1,                                                                             \
        .infer = ntk_activation_layer_infer,                                                       \
        .saved_doubles = ntk_activation_layer_saved,                                               \
        .forward = ntk_activation_layer_forward,                                                   \
        .backward = ntk_activation_layer_backward,                                                 \
        .forward_one = ntk_activation_layer_forward_one,                                           \
        .backward_one = ntk_activation_layer_backward_one,                                         \
        .analytic = ntk_activation_layer_analytic,                                                 \
        .analytic_spatial = ntk_activation_layer_analytic_spatial,                                 \
        .analytic_spatial_flops = ntk_activation_layer_analytic_flops,                             \
        .cost = ntk_activation_layer_cost,                                                         \
    }

/* The correlation s12 / sqrt(s11 s22) clamped to [-1, 1]; 0 when a variance
 * vanishes (then one of u, v is a constant and they are independent). For
 * closed forms and the quadrature alike. */
double ntk_gaussian_correlation(double s11, double s12, double s22);

/* The Gaussian maps of phi(z) = a min(z, 0) + b max(z, 0) (neural-tangents'
 * stax.ABRelu: leaky_relu is (slope, 1), abs is (-1, 1)), with phi'(0) =
 * `slope_at_zero` (torch's convention of the activation), scaled arc-cosine
 * kernels with cos t = rho, J1 = (sin t + (pi - t) cos t) / (2 pi):
 *   E[phi(u) phi(v)]   = (a - b)^2 sqrt(s11 s22) J1 + a b s12
 *   E[phi'(u) phi'(v)] = (a - b)^2 (pi - t) / (2 pi) + a b */
ntk_moments ntk_gaussian_ab_relu(double a, double b, double slope_at_zero, double s11,
                                 double s12, double s22);

/* The activations of the layer registry, in its order, and by name (NULL if
 * none). */
int ntk_activation_count(void);
ntk_activation ntk_activation_at(int index);
ntk_activation ntk_activation_find(const char *name);

/* The built-in activations' layer types by name, for code that builds a
 * model by hand; an activation added later needs no such name (the job
 * reader and everything else find it in the registry). */
#define ntk_layer_relu (ntk_activation_relu.layer)
#define ntk_layer_erf (ntk_activation_erf.layer)
#define ntk_layer_tanh (ntk_activation_tanh.layer)
#define ntk_layer_gelu (ntk_activation_gelu.layer)
#define ntk_layer_identity (ntk_activation_identity.layer)

#endif
