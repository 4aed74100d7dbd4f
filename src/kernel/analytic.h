/* The infinite-width NTK and NNGP kernels of a model description (ntk
 * parameterisation), docs/design.md, "Infinite width". An activation's
 * Gaussian maps in the closed form its file states (identity, relu, erf),
 * any other (tanh, gelu) by Gauss-Hermite quadrature of
 * kernel.quadrature_order points per axis.
 *
 * Files: analytic_quadrature.c (Gauss-Hermite rules), analytic_expectation.c
 * (the Gaussian expectations E[phi phi], E[phi' phi'] of one layer),
 * analytic_pair.c (the scalar layer recursion of dense nets for one pair of
 * inputs), analytic_spatial.c (the recursion over pairs of positions of
 * conv nets, docs/analytic-conv.md), analytic_assemble.c (the distributed
 * matrix). */
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
 * the input dot products plus each layer's map (model/layer.h costs), by the
 * recursion the model takes (analytic_uses_spatial). */
double analytic_pair_flops(const ntk_model_spec *spec, const ntk_shape *input,
                           int quadrature_order);

/* Build the quadrature rules the activations of `spec` need: everything that
 * can fail locally before the collective exchange. */
ntk_status analytic_prepare(const ntk_model_spec *spec, int quadrature_order);

/* Distributed assembly, same layout and hooks as the empirical kernels. For
 * outputs: full, Theta[(x,o),(x',o')] = Theta(x,x') delta_{o o'}. Collective.
 * Only job->model (the description) and the input shape of `model` are
 * used; `model` may be NULL for flat inputs.
 * Step s fills local column block s (global block s * pc + mycol), so every
 * rank runs ceil(ceil(M / nb) / pc) steps. */
ntk_status kernel_assemble_analytic(const ntk_kernel_config *config, const ntk_model *model,
                                    const ntk_grid *grid, const ntk_input_block *inputs,
                                    int lower_only, int want_nngp,
                                    const ntk_assembly_hooks *hooks, ntk_dmatrix *matrix,
                                    ntk_kernel_stats *stats);

/* The cross kernel (kernel.h, kernel_assemble_cross): rows from `rows`,
 * columns from `cols`, every entry; NNGP when want_nngp. Collective. */
ntk_status kernel_assemble_analytic_cross(const ntk_kernel_config *config, const ntk_model *model,
                                          const ntk_grid *grid,
                                          const ntk_input_block *rows,
                                          const ntk_input_block *cols, int want_nngp,
                                          const ntk_assembly_hooks *hooks, ntk_dmatrix *matrix,
                                          ntk_kernel_stats *stats);

/* --- conv nets: the spatial recursion (analytic_spatial.c) ------------- */

/* What the recursion of a model on inputs of one shape needs, decided once:
 * the layers with their shapes, the form of each layer's input state
 * (input_form[n_layers]: the output's), the positions of each state, where
 * each activation's per-position variances sit in an input's statistics,
 * and the largest state. */
typedef struct {
    int n_layers;
    ntk_layer stack[NTK_MAX_LAYERS];
    ntk_analytic_form input_form[NTK_MAX_LAYERS + 1];
    int64_t positions[NTK_MAX_LAYERS + 1];
    int64_t stats_offset[NTK_MAX_LAYERS]; /* -1: not an activation */
    int64_t stats_size;                   /* doubles of one input's statistics */
    int64_t capacity;                     /* doubles of the largest state */
    int64_t scratch_doubles;              /* lent to the window maps (ntk_spatial_state) */
    int64_t activation_doubles;           /* an activation's deviations of both inputs and
                                           * the row buffers of its row map (run_pair) */
    int64_t input_positions, input_channels;
    double layer_flops[NTK_MAX_LAYERS];   /* per pair */
    double flops_per_pair;                /* input covariance, layers, final mean */
    int branch_depth;                     /* blocks open at once (model/branch.h), at most */
    int unfused; /* every layer on its own, no activation applied by the conv before it
                  * (run_pair's row maps): the same bits, for the tests to check so */
} analytic_spatial_plan;

/* The plan for `spec` on inputs of shape `input`; NTK_ERR_JOB naming the
 * layer for a layer without a map or an activation of non-Gaussian values,
 * and for full outputs of a model whose outputs keep several positions.
 * Rank-local, pure. */
ntk_status analytic_spatial_plan_make(const ntk_model_spec *spec, const ntk_shape *input,
                                      int full_outputs, int quadrature_order,
                                      analytic_spatial_plan *plan);
/* "all pairs" or "matching positions", for plan and logs. */
const char *analytic_spatial_form_name(ntk_analytic_form form);
/* Doubles of the work buffer analytic_spatial_self/pair need. */
static inline int64_t analytic_spatial_work_doubles(const analytic_spatial_plan *plan)
{
    /* the current and next states, per open block its input and sums, then
     * the window maps' scratch and the activations' deviations and rows */
    return (4 + 4 * (int64_t)plan->branch_depth) * plan->capacity + plan->scratch_doubles +
           plan->activation_doubles;
}
/* One input's statistics (plan->stats_size doubles): the variances per
 * position at every activation. */
void analytic_spatial_self(const analytic_spatial_plan *plan, const ntk_analytic_context *context,
                           const double *x, double *stats, double *work);
/* Theta and the NNGP kernel (either may be NULL) of one pair from the
 * inputs and their statistics; with only_layer l >= 1, Theta_l, the
 * contribution of the l-th layer with parameters (the NNGP is the whole
 * one either way). Not symmetric to the last bit: callers keep an order. */
void analytic_spatial_pair(const analytic_spatial_plan *plan, const ntk_analytic_context *context,
                           const double *x1, const double *x2, const double *stats_1,
                           const double *stats_2, int only_layer, double *work, double *theta,
                           double *nngp);
/* Whether a model takes the spatial recursion: spatial inputs, or a layer
 * the scalar recursion of dense nets (analytic_pair) does not know. Dense
 * networks on flat inputs keep the scalar one. */
int analytic_uses_spatial(const ntk_model_spec *spec, const ntk_shape *input);

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
