/* The activation layer: what every activation does as a layer, whatever its
 * phi (model/activation.h). Elementwise, no parameters, any shape; it runs
 * in place.
 *
 * Forward keeps phi'(z) per element (the saved state); backward multiplies
 * the cotangents by it. The infinite-width map replaces the Gaussian moments
 * by E[phi(u) phi(v)] and records E[phi'(u) phi'(v)] for the next layer with
 * parameters, both from the expectations the kernel lends (the activation's
 * closed form, or quadrature). */
#include <string.h>

#include "model/model.h"

/* With the activation's default parameters. */
double model_phi(ntk_activation act, double z)
{
    double parameter[NTK_ACTIVATION_MAX_PARAMETERS];
    ntk_activation_parameters(act, NULL, parameter);
    return act->phi(z, parameter);
}

double model_phi_prime(ntk_activation act, double z)
{
    double parameter[NTK_ACTIVATION_MAX_PARAMETERS];
    ntk_activation_parameters(act, NULL, parameter);
    return act->phi_prime(z, parameter);
}

int model_activation_has_closed_form(ntk_activation act) { return act->gaussian != NULL; }

int ntk_activation_layer_infer(const int64_t *option, const ntk_shape *in, ntk_shape *out,
                               char *why, size_t why_size)
{
    (void)option;
    (void)why;
    (void)why_size;
    *out = *in;
    return 0;
}

int64_t ntk_activation_layer_saved(const ntk_layer *layer) { return layer->out.size; }

/* slope = phi'(z), out = phi(z) (out may be z): the activation's own batched
 * loop when it has one, else element by element. */
void ntk_activation_layer_forward(const ntk_layer *layer, const ntk_model *model,
                                  const double *in, int64_t count, double *out, double *slope)
{
    (void)model;
    const ntk_activation act = layer->ops->activation;
    const int64_t size = count * layer->out.size;
    double parameter[NTK_ACTIVATION_MAX_PARAMETERS];
    ntk_activation_parameters(act, layer->option, parameter);
    if (act->apply != NULL) {
        act->apply(in, size, parameter, out, slope);
        return;
    }
    for (int64_t e = 0; e < size; ++e) {
        slope[e] = act->phi_prime(in[e], parameter);
        out[e] = act->phi(in[e], parameter);
    }
}

/* cot_in = phi'(z) * cot_out for every (x, o) row. */
void ntk_activation_layer_backward(const ntk_layer *layer, const ntk_model *model,
                                   const double *cot_out, int64_t count, int k,
                                   const double *slope, double *cot_in)
{
    (void)model;
    const int64_t n = layer->out.size;
    for (int64_t x = 0; x < count; ++x) {
        const double *slope_x = slope + x * n;
        for (int o = 0; o < k; ++o) {
            const double *from = cot_out + (x * k + o) * n;
            double *row = cot_in + (x * k + o) * n;
            for (int64_t j = 0; j < n; ++j)
                row[j] = from[j] * slope_x[j];
        }
    }
}

/* Always element by element: the independent path of the Jacobian rows. */
void ntk_activation_layer_forward_one(const ntk_layer *layer, const ntk_model *model,
                                      const double *in, double *out, double *slope)
{
    (void)model;
    const ntk_activation act = layer->ops->activation;
    double parameter[NTK_ACTIVATION_MAX_PARAMETERS];
    ntk_activation_parameters(act, layer->option, parameter);
    for (int64_t i = 0; i < layer->out.size; ++i) {
        double z = in[i];
        slope[i] = act->phi_prime(z, parameter);
        out[i] = act->phi(z, parameter);
    }
}

void ntk_activation_layer_backward_one(const ntk_layer *layer, const ntk_model *model,
                                       const double *cot_out, const double *slope,
                                       double *cot_in)
{
    (void)model;
    for (int64_t j = 0; j < layer->out.size; ++j)
        cot_in[j] = cot_out[j] * slope[j];
}

int ntk_activation_layer_analytic(const ntk_layer_spec *layer,
                                  const ntk_analytic_context *context,
                                  ntk_analytic_state *state)
{
    if (!state->is_gaussian)
        return 1; /* needs a Gaussian pre-activation: a layer with parameters before it */
    const ntk_activation act = layer->ops->activation;
    const int order = context->quadrature_order;
    double parameter[NTK_ACTIVATION_MAX_PARAMETERS];
    ntk_activation_parameters(act, layer->option, parameter);
    ntk_moments cross = context->expect(act, parameter, state->k11, state->k12, state->k22, order);
    /* x == x' needs only the cross term; otherwise the variances go on. */
    if (state->same_input) {
        state->k11 = state->k22 = cross.phi;
    } else {
        double next_11 =
            context->expect(act, parameter, state->k11, state->k11, state->k11, order).phi;
        double next_22 =
            context->expect(act, parameter, state->k22, state->k22, state->k22, order).phi;
        state->k11 = next_11;
        state->k22 = next_22;
    }
    state->k12 = cross.phi;
    state->derivative = cross.phi_prime;
    state->is_gaussian = 0;
    return 0;
}

/* The Gaussian rows (ntk_spatial_row_map's apply). */
static void gaussian_rows_apply(const ntk_spatial_row_map *map, int64_t p, int64_t rows,
                                int64_t first, int64_t n, const double *sigma,
                                const double *theta, int64_t ld, double *next_sigma,
                                double *next_theta, int64_t ld_out)
{
    const ntk_activation_row_context *context = map->context;
    const ntk_gaussian_rows block = {
        .s11 = context->variance_1 + p,
        .deviation_11 = context->deviation_1 + p,
        .inverse_deviation_11 = context->inverse_deviation_1 + p,
        .s22 = context->variance_2 + first,
        .deviation_22 = context->deviation_2 + first,
        .inverse_deviation_22 = context->inverse_deviation_2 + first,
        .s12 = sigma,
        .ld = ld,
    };
    context->act->gaussian_rows(&block, rows, n, context->parameter, theta, next_sigma,
                                next_theta, ld_out);
}

int ntk_activation_row_map(const ntk_layer *layer, const ntk_spatial_state *state,
                           ntk_activation_row_context *context, ntk_spatial_row_map *map)
{
    const ntk_activation act = layer->ops->activation;
    if (act == NULL || act->gaussian_rows == NULL)
        return 0;
    context->act = act;
    ntk_activation_parameters(act, layer->option, context->parameter);
    context->variance_1 = state->variance_1;
    context->variance_2 = state->variance_2;
    context->deviation_1 = state->deviation_1;
    context->deviation_2 = state->deviation_2;
    context->inverse_deviation_1 = state->inverse_deviation_1;
    context->inverse_deviation_2 = state->inverse_deviation_2;
    map->apply = gaussian_rows_apply;
    map->context = context;
    return 1;
}

/* Per pair of positions (p, p'): the Gaussian of x at p and x' at p'; a
 * full state through the activation's gaussian_rows where it has
 * one (the row map a conv before it may also apply as it writes its rows). */
int ntk_activation_layer_analytic_spatial(const ntk_layer *layer,
                                          const ntk_analytic_context *context,
                                          ntk_spatial_state *state)
{
    if (!state->is_gaussian || !state->has_theta)
        return 1; /* needs a Gaussian pre-activation: a layer with parameters before it */
    const ntk_activation act = layer->ops->activation;
    const int order = context->quadrature_order;
    const int64_t positions = state->positions;
    const int full = state->form == NTK_ANALYTIC_FULL;
    const int64_t columns = full ? positions : 1;
    ntk_activation_row_context row_context;
    ntk_spatial_row_map map;
    if (full && ntk_activation_row_map(layer, state, &row_context, &map)) {
        map.apply(&map, 0, positions, 0, positions, state->sigma, state->theta, positions,
                  state->next_sigma, state->next_theta, positions);
        state->is_gaussian = 0;
        return 0;
    }
    double parameter[NTK_ACTIVATION_MAX_PARAMETERS];
    ntk_activation_parameters(act, layer->option, parameter);
    for (int64_t p = 0; p < positions; ++p)
        for (int64_t c = 0; c < columns; ++c) {
            const int64_t q = full ? c : p; /* position of x' */
            const int64_t at = p * columns + c;
            ntk_moments m = context->expect(act, parameter, state->variance_1[p],
                                            state->sigma[at], state->variance_2[q], order);
            state->next_sigma[at] = m.phi;
            state->next_theta[at] = state->theta[at] * m.phi_prime;
        }
    state->is_gaussian = 0;
    return 0;
}

double ntk_activation_layer_analytic_flops(const ntk_layer *layer, int64_t positions,
                                           ntk_analytic_form input_form,
                                           ntk_analytic_form output_form, int quadrature_order)
{
    (void)output_form;
    const double order = quadrature_order;
    const double pairs = input_form == NTK_ANALYTIC_FULL ? (double)positions * (double)positions
                                                         : (double)positions;
    /* one expectation per pair of positions, as in ntk_activation_layer_cost */
    return pairs * (model_activation_has_closed_form(layer->ops->activation)
                        ? 40.0
                        : 25.0 * order * order);
}

void ntk_activation_layer_cost(const ntk_layer *layer, int k, int full, int quadrature_order,
                               ntk_layer_cost *cost)
{
    (void)k;
    (void)full;
    memset(cost, 0, sizeof *cost);
    cost->feature_doubles = (double)layer->out.size; /* the slopes */
    /* About 40 operations per closed-form expectation (a transcendental
     * function counted as ~10), three of them per pair; quadrature: order^2
     * points for the cross term plus 2 order for the variances at ~25
     * operations a point (phi and phi' ~ 20, the rest 5). */
    const double order = quadrature_order;
    cost->analytic_pair_flops = model_activation_has_closed_form(layer->ops->activation)
                                    ? 3 * 40.0
                                    : 25.0 * (order * order + 2.0 * order);
}
