/* Activation layers (relu, erf, tanh, gelu, identity): elementwise phi, no
 * parameters, any shape; they run in place. GELU is the exact one,
 * x * Phi(x) with Phi the standard normal CDF (not the tanh approximation),
 * and relu'(0) = 0 (the convention of JAX and PyTorch autograd).
 *
 * Forward keeps phi'(z) per element (the saved state); backward multiplies
 * the cotangents by it. The infinite-width map replaces the Gaussian moments
 * by E[phi(u) phi(v)] and records E[phi'(u) phi'(v)] for the next layer with
 * parameters; identity, relu and erf have closed forms there (the flag below,
 * which the analytic kernel and plan read), tanh and gelu use quadrature. */
#include <math.h>
#include <string.h>

#include "model/model.h"

static const double inverse_sqrt_2 = 0.70710678118654752440;
static const double inverse_sqrt_2pi = 0.39894228040143267794;
static const double two_over_sqrt_pi = 1.12837916709551257390;

/* Standard normal CDF; erfc keeps full relative accuracy in the left tail. */
static double normal_cdf(double z) { return 0.5 * erfc(-z * inverse_sqrt_2); }

double model_phi(ntk_activation act, double z)
{
    switch (act) {
    case NTK_ACT_IDENTITY: return z;
    case NTK_ACT_RELU: return z > 0.0 ? z : 0.0;
    case NTK_ACT_ERF: return erf(z);
    case NTK_ACT_TANH: return tanh(z);
    case NTK_ACT_GELU: return z * normal_cdf(z);
    }
    return z;
}

double model_phi_prime(ntk_activation act, double z)
{
    switch (act) {
    case NTK_ACT_IDENTITY: return 1.0;
    case NTK_ACT_RELU: return z > 0.0 ? 1.0 : 0.0;
    case NTK_ACT_ERF: return two_over_sqrt_pi * exp(-z * z);
    case NTK_ACT_TANH: {
        double t = tanh(z);
        return 1.0 - t * t;
    }
    case NTK_ACT_GELU: return normal_cdf(z) + z * inverse_sqrt_2pi * exp(-0.5 * z * z);
    }
    return 1.0;
}

int model_activation_has_closed_form(ntk_activation act)
{
    return act == NTK_ACT_IDENTITY || act == NTK_ACT_RELU || act == NTK_ACT_ERF;
}

static int activation_infer(const int64_t *option, const ntk_shape *in, ntk_shape *out, char *why,
                            size_t why_size)
{
    (void)option;
    (void)why;
    (void)why_size;
    *out = *in;
    return 0;
}

static int64_t activation_saved(const ntk_layer *layer) { return layer->out.size; }

/* slope = phi'(z), out = phi(z) (out may be z). ReLU and identity, the
 * common cases, as plain loops the compiler vectorises (the same values as
 * model_phi and model_phi_prime); the rest through the per-element functions. */
static void activation_forward(const ntk_layer *layer, const ntk_model *model, const double *in,
                               int64_t count, double *out, double *slope)
{
    (void)model;
    const ntk_activation act = (ntk_activation)layer->ops->variant;
    const int64_t size = count * layer->out.size;
    if (act == NTK_ACT_RELU) {
        for (int64_t e = 0; e < size; ++e) {
            slope[e] = in[e] > 0.0 ? 1.0 : 0.0;
            out[e] = in[e] > 0.0 ? in[e] : 0.0;
        }
    } else if (act == NTK_ACT_IDENTITY) {
        for (int64_t e = 0; e < size; ++e)
            slope[e] = 1.0;
        if (out != in)
            memcpy(out, in, (size_t)size * sizeof *out);
    } else {
        for (int64_t e = 0; e < size; ++e) {
            slope[e] = model_phi_prime(act, in[e]);
            out[e] = model_phi(act, in[e]);
        }
    }
}

/* cot_in = phi'(z) * cot_out for every (x, o) row. */
static void activation_backward(const ntk_layer *layer, const ntk_model *model,
                                const double *cot_out, int64_t count, int k, const double *slope,
                                double *cot_in)
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

static void activation_forward_one(const ntk_layer *layer, const ntk_model *model, const double *in,
                                   double *out, double *slope)
{
    (void)model;
    const ntk_activation act = (ntk_activation)layer->ops->variant;
    for (int64_t i = 0; i < layer->out.size; ++i) {
        double z = in[i];
        slope[i] = model_phi_prime(act, z);
        out[i] = model_phi(act, z);
    }
}

static void activation_backward_one(const ntk_layer *layer, const ntk_model *model,
                                    const double *cot_out, const double *slope, double *cot_in)
{
    (void)model;
    for (int64_t j = 0; j < layer->out.size; ++j)
        cot_in[j] = cot_out[j] * slope[j];
}

static int activation_analytic(const ntk_layer_spec *layer, const ntk_analytic_context *context,
                               ntk_analytic_state *state)
{
    if (!state->is_gaussian)
        return 1; /* needs a Gaussian pre-activation: a layer with parameters before it */
    const ntk_activation act = (ntk_activation)layer->ops->variant;
    const int order = context->quadrature_order;
    ntk_moments cross = context->expect(act, state->k11, state->k12, state->k22, order);
    /* x == x' needs only the cross term; otherwise the variances go on. */
    if (state->same_input) {
        state->k11 = state->k22 = cross.phi;
    } else {
        double next_11 = context->expect(act, state->k11, state->k11, state->k11, order).phi;
        double next_22 = context->expect(act, state->k22, state->k22, state->k22, order).phi;
        state->k11 = next_11;
        state->k22 = next_22;
    }
    state->k12 = cross.phi;
    state->derivative = cross.phi_prime;
    state->is_gaussian = 0;
    return 0;
}

static void activation_cost(const ntk_layer *layer, int k, int full, int quadrature_order,
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
    cost->analytic_pair_flops = model_activation_has_closed_form((ntk_activation)layer->ops->variant)
                                    ? 3 * 40.0
                                    : 25.0 * (order * order + 2.0 * order);
}

#define ACTIVATION_LAYER(variable, text, act)                                                      \
    const ntk_layer_ops variable = {                                                               \
        .name = text,                                                                              \
        .variant = act,                                                                            \
        .bare = 1,                                                                                 \
        .in_place = 1,                                                                             \
        .infer = activation_infer,                                                                 \
        .saved_doubles = activation_saved,                                                         \
        .forward = activation_forward,                                                             \
        .backward = activation_backward,                                                           \
        .forward_one = activation_forward_one,                                                     \
        .backward_one = activation_backward_one,                                                   \
        .analytic = activation_analytic,                                                           \
        .cost = activation_cost,                                                                   \
    };

ACTIVATION_LAYER(ntk_layer_relu, "relu", NTK_ACT_RELU)
ACTIVATION_LAYER(ntk_layer_erf, "erf", NTK_ACT_ERF)
ACTIVATION_LAYER(ntk_layer_tanh, "tanh", NTK_ACT_TANH)
ACTIVATION_LAYER(ntk_layer_gelu, "gelu", NTK_ACT_GELU)
ACTIVATION_LAYER(ntk_layer_identity, "identity", NTK_ACT_IDENTITY)

const ntk_layer_ops *ntk_layer_of_activation(ntk_activation act)
{
    switch (act) {
    case NTK_ACT_RELU: return &ntk_layer_relu;
    case NTK_ACT_ERF: return &ntk_layer_erf;
    case NTK_ACT_TANH: return &ntk_layer_tanh;
    case NTK_ACT_GELU: return &ntk_layer_gelu;
    case NTK_ACT_IDENTITY: break;
    }
    return &ntk_layer_identity;
}

const char *ntk_activation_name(ntk_activation act) { return ntk_layer_of_activation(act)->name; }
