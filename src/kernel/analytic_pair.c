/* The infinite-width recursion for one pair of inputs (docs/design.md, "Infinite width";
 * ntk parameterisation c_l = w_std / sqrt(n_{l-1}), s_l = b_std):
 *
 *   Sigma_1 = w^2 <x, x'> / d + b^2,  Theta_1 = Sigma_1
 *   per hidden layer l = 1..L, with (u, v) ~ N(0, Sigma_l on {x, x'}):
 *     Sigma_{l+1} = w^2 E[phi_l(u) phi_l(v)] + b^2
 *     Theta_{l+1} = Sigma_{l+1} + w^2 E[phi_l'(u) phi_l'(v)] Theta_l
 *
 * Each layer applies its own map (model/layer.h, analytic; dense: the
 * Sigma/Theta step, an activation: the expectations); the state carries
 * Sigma, the NTK so far and E[phi' phi'] between them.
 * The last step is the readout layer L+1, which has no activation of its
 * own; a model without hidden layers is linear and Theta = Sigma_1. Only the
 * cross entry of Theta is needed, but Sigma is carried on the whole 2 x 2
 * block because the next layer's Gaussian needs both variances. */
#include "kernel/analytic.h"

#include <math.h>

#include "model/model.h"

static double dot(const double *a, const double *b, int64_t n)
{
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++)
        sum += a[i] * b[i];
    return sum;
}

/* The layers of `spec`: in place when the parser filled them (this runs per
 * pair), else expanded from the dense summary into `buffer`. */
static const ntk_layer_spec *pair_layers(const ntk_model_spec *spec, ntk_layer_spec *buffer,
                                         int *count)
{
    if (spec->n_layers > 0) {
        *count = spec->n_layers;
        return spec->layers;
    }
    model_spec_layers(spec, buffer, count);
    return buffer;
}

int analytic_supported(const ntk_model_spec *spec, int *bad_layer)
{
    ntk_layer_spec buffer[NTK_MAX_LAYERS];
    int count = 0;
    const ntk_layer_spec *list = pair_layers(spec, buffer, &count);
    for (int i = 0; i < count; i++)
        if (list[i].ops->analytic == NULL) {
            *bad_layer = i;
            return 0;
        }
    return 1;
}

void analytic_pair(const ntk_model_spec *spec, int64_t dim, int quadrature_order,
                   const double *x, const double *x_prime, double *theta, double *nngp)
{
    analytic_pair_layer(spec, dim, quadrature_order, x, x_prime, 0, theta, nngp);
}

void analytic_pair_layer(const ntk_model_spec *spec, int64_t dim, int quadrature_order,
                         const double *x, const double *x_prime, int only_layer, double *theta,
                         double *nngp)
{
    ntk_layer_spec buffer[NTK_MAX_LAYERS];
    int count = 0;
    const ntk_layer_spec *list = pair_layers(spec, buffer, &count);
    const ntk_analytic_context context = {spec->w_std, spec->b_std, quadrature_order,
                                           analytic_expect_with};
    ntk_analytic_state state = {0};
    state.k11 = dot(x, x, dim);
    state.k22 = dot(x_prime, x_prime, dim);
    state.k12 = dot(x, x_prime, dim);
    state.normaliser = (double)dim;
    state.derivative = 1.0;
    state.same_input = x == x_prime;
    state.only_layer = only_layer;
    for (int i = 0; i < count; i++)
        if (list[i].ops->analytic(&list[i], &context, &state) != 0) {
            state.theta = state.k12 = NAN; /* refused before assembly (analytic_supported) */
            break;
        }
    if (theta)
        *theta = state.theta;
    if (nngp)
        *nngp = state.k12;
}

double analytic_pair_flops(const ntk_model_spec *spec, const ntk_shape *input,
                           int quadrature_order)
{
    if (analytic_uses_spatial(spec, input)) {
        analytic_spatial_plan plan;
        if (analytic_spatial_plan_make(spec, input, 0, quadrature_order, &plan) != NTK_OK) {
            ntk_error_clear();
            return 0.0; /* refused before any kernel runs */
        }
        return plan.flops_per_pair;
    }
    const int64_t dim = input->size;
    /* three dot products of length d, then each layer's map */
    double flops = 6.0 * (double)dim;
    model_layout layout;
    const ntk_shape flat = {1, {dim, 0, 0}, dim}; /* analytic kernels are dense-only */
    if (model_layout_make(spec, "", &flat, 0, &layout) != NTK_OK)
        return flops; /* sizes are checked before any kernel runs */
    model_costs costs;
    model_layout_costs(&layout, 0, quadrature_order, &costs);
    return flops + costs.analytic_pair_flops;
}

ntk_status analytic_prepare(const ntk_model_spec *spec, int quadrature_order)
{
    ntk_layer_spec buffer[NTK_MAX_LAYERS];
    int count = 0;
    const ntk_layer_spec *list = pair_layers(spec, buffer, &count);
    for (int i = 0; i < count; i++) {
        ntk_activation act = list[i].ops->activation;
        if (act != NULL && !model_activation_has_closed_form(act)) {
            const double *node, *weight;
            NTK_TRY(analytic_gauss_hermite(quadrature_order, &node, &weight));
        }
    }
    return NTK_OK;
}
