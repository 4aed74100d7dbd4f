/* The infinite-width NTK and NNGP kernels of a model description (ntk
 * parameterisation), docs/design.md, "Infinite width". An activation's
 * Gaussian maps in the closed form its file states (identity, relu, erf),
 * any other (tanh, gelu) by Gauss-Hermite quadrature of
 * kernel.quadrature_order points per axis.
 *
 * Files: analytic_quadrature.c (Gauss-Hermite rules), analytic_expectation.c
 * (the Gaussian expectations E[phi phi], E[phi' phi'] of one layer),
 * analytic_pair.c (the layer recursion for one pair of inputs),
 * analytic_assemble.c (the distributed matrix). */
#ifndef NTK_KERNEL_ANALYTIC_H
#define NTK_KERNEL_ANALYTIC_H

#include "kernel/kernel.h"
#include "model/layer.h"

/* The kernels for one pair of inputs: theta and nngp (either may be NULL).
 * Only the model description matters (d = dim, activations, w_std, b_std), not
 * the hidden widths; the trace kernel (mean over logits) equals Theta because
 * every logit has the same limit. Rank-local, pure (quadrature rules are
 * cached per order, see analytic_gauss_hermite). */
void analytic_pair(const ntk_model_spec *spec, int64_t dim, int quadrature_order,
                   const double *x, const double *x_prime, double *theta, double *nngp);
/* The same with theta = Theta_l, the contribution of layer `only_layer`'s
 * parameters (1-based among layers with parameters; 0: the whole NTK). The
 * NNGP is the whole one either way. */
void analytic_pair_layer(const ntk_model_spec *spec, int64_t dim, int quadrature_order,
                         const double *x, const double *x_prime, int only_layer, double *theta,
                         double *nngp);

/* Whether every layer of `spec` has an infinite-width map; if not, 0 with
 * the first one without in *bad_layer. */
int analytic_supported(const ntk_model_spec *spec, int *bad_layer);

/* Floating-point work per input pair (an estimate for statistics and plan):
 * the input dot products plus each layer's map (model/layer.h costs). */
double analytic_pair_flops(const ntk_model_spec *spec, int64_t dim, int quadrature_order);

/* Build the quadrature rules the activations of `spec` need: everything that
 * can fail locally before the collective exchange. */
ntk_status analytic_prepare(const ntk_model_spec *spec, int quadrature_order);

/* Distributed assembly, same layout and hooks as the empirical kernels. For
 * outputs: full, Theta[(x,o),(x',o')] = Theta(x,x') delta_{o o'}. Collective.
 * Only job->model (the description) is used; `model` may be NULL.
 * Step s fills local column block s (global block s * pc + mycol), so every
 * rank runs ceil(ceil(M / nb) / pc) steps. */
ntk_status kernel_assemble_analytic(const ntk_kernel_config *config, const ntk_model *model,
                                    const ntk_grid *grid, const ntk_input_block *inputs,
                                    int lower_only, int want_nngp,
                                    const ntk_assembly_hooks *hooks, ntk_dmatrix *matrix,
                                    ntk_kernel_stats *stats);

/* The cross kernel (kernel.h, kernel_assemble_cross): rows from `rows`,
 * columns from `cols`, every entry; NNGP when want_nngp. Collective. */
ntk_status kernel_assemble_analytic_cross(const ntk_kernel_config *config, const ntk_grid *grid,
                                          const ntk_input_block *rows,
                                          const ntk_input_block *cols, int want_nngp,
                                          const ntk_assembly_hooks *hooks, ntk_dmatrix *matrix,
                                          ntk_kernel_stats *stats);

/* --- building blocks, exposed for the tests ---------------------------- */

enum { ANALYTIC_MAX_QUADRATURE_ORDER = 1024 };

/* The order-`order` Gauss-Hermite rule for the standard normal:
 * E[f(Z)] ~ sum_i weight[i] f(node[i]), exact for polynomials of degree
 * < 2 order. Computed once per order (Golub-Welsch eigenvalues polished by
 * Newton on normalised Hermite polynomials) and cached for the process
 * lifetime; not thread-safe. */
ntk_status analytic_gauss_hermite(int order, const double **node, const double **weight);

/* E[phi(u) phi(v)] and E[phi'(u) phi'(v)] for
 * (u, v) ~ N(0, [[s11, s12], [s12, s22]]). */
typedef ntk_moments analytic_moments; /* model/layer.h: phi, phi_prime */

/* The activation's closed form (model/activation.h, gaussian) when it has
 * one; quadrature of `quadrature_order` points per axis otherwise. With the
 * activation's parameters (model/activation.h: from its layer's options);
 * analytic_expect takes its defaults. */
analytic_moments analytic_expect_with(ntk_activation act, const double *parameter, double s11,
                                      double s12, double s22, int quadrature_order);
analytic_moments analytic_expect(ntk_activation act, double s11, double s12, double s22,
                                 int quadrature_order);
/* Always by 2-D Gauss-Hermite quadrature on the Cholesky factor of the
 * covariance (the reference for the closed forms). NaN if the rule cannot be
 * built. */
analytic_moments analytic_expect_quadrature_with(ntk_activation act, const double *parameter,
                                                 double s11, double s12, double s22, int order);
analytic_moments analytic_expect_quadrature(ntk_activation act, double s11, double s12,
                                            double s22, int order);
/* Whether analytic_expect uses a closed form for `act`. */
int analytic_has_closed_form(ntk_activation act);

#endif
