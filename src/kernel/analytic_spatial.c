/* The infinite-width recursion on spatial states (conv nets; model/layer.h,
 * ntk_spatial_state; docs/analytic-conv.md), for one pair of inputs, and
 * its plan: which form (matching positions only, or every pair) each
 * layer's input takes, the per-input statistics, the buffer sizes.
 *
 * Forms are decided backwards from the output, which needs only matching
 * positions (the trace over logits, or one position): each layer asks of its
 * input what its own output needs (analytic_input_form), pooling layers ask
 * for every pair. A net ending in flatten + dense with no pooling thus
 * carries P values per pair instead of P^2.
 *
 * An activation needs, besides the cross covariance, the variances of x at
 * p and of x' at p': those are the diagonal of the recursion run on (x, x)
 * itself, computed once per input (analytic_spatial_self) and shipped with
 * the inputs to the ranks whose tiles need them. */
#include <cblas.h>
#include <stdio.h>
#include <string.h>

#include "kernel/analytic.h"
#include "model/model.h"

static const char *form_name(ntk_analytic_form form)
{
    return form == NTK_ANALYTIC_FULL ? "all pairs" : "matching positions";
}

/* Positions of the state after layer `layer`: those of a spatial output;
 * for a flat output, the input's when the layer keeps every value apart
 * (activations and flatten: as many values out as in, no parameters), else
 * one (dense, global_avg_pool). */
static int64_t positions_after(const ntk_layer *layer, int64_t positions_in)
{
    if (layer->out.rank > 1)
        return ntk_layer_positions(&layer->out);
    if (!ntk_layer_has_parameters(layer->ops) && layer->out.size == layer->in.size)
        return positions_in;
    return 1;
}

static int64_t state_doubles(int64_t positions, ntk_analytic_form form)
{
    return form == NTK_ANALYTIC_FULL ? positions * positions : positions;
}

/* A refusal naming layer i. */
static ntk_status refuse_layer(const ntk_model_spec *spec, const ntk_layer_spec *list, int i,
                               const char *why)
{
    char key[64];
    model_layer_key(list, i, key, sizeof key);
    const char *file = spec->where.file ? spec->where.file : "job";
    if (list[i].line > 0)
        return NTK_RAISE(NTK_ERR_JOB, "%s:%d:%d: %s: the analytic (infinite-width) kernel: %s",
                         file, list[i].line, list[i].column, key, why);
    return NTK_RAISE(NTK_ERR_JOB, "%s: %s: the analytic (infinite-width) kernel: %s", file, key,
                     why);
}

ntk_status analytic_spatial_plan_make(const ntk_model_spec *spec, const ntk_shape *input,
                                      int full_outputs, int quadrature_order,
                                      analytic_spatial_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    model_layout layout;
    NTK_TRY(model_layout_make(spec, spec->where.file ? spec->where.file : "job", input, 0,
                              &layout));
    ntk_layer_spec list[NTK_MAX_LAYERS];
    int count = 0;
    model_spec_layers(spec, list, &count);
    plan->n_layers = layout.n_stack;
    memcpy(plan->stack, layout.stack, sizeof layout.stack);
    plan->input_positions = ntk_layer_positions(input);
    plan->input_channels = input->size / plan->input_positions;

    /* Forwards: the type's map, Gaussian pre-activations, positions. */
    int has_theta = 0, is_gaussian = 0;
    int64_t positions = plan->input_positions;
    for (int i = 0; i < plan->n_layers; ++i) {
        const ntk_layer *layer = &plan->stack[i];
        char why[256];
        if (layer->ops->analytic_spatial == NULL) {
            snprintf(why, sizeof why, "%s layers have no infinite-width kernel in ntkgram; use "
                     "kernel.kind: empirical", layer->ops->name);
            return refuse_layer(spec, list, i, why);
        }
        plan->positions[i] = positions;
        if (layer->ops->activation != NULL) {
            if (!is_gaussian || !has_theta) {
                snprintf(why, sizeof why, "%s of values that are not Gaussian in the "
                         "infinite-width limit (a dense or conv layer must come before an "
                         "activation, with only pooling or flatten between them)",
                         layer->ops->name);
                return refuse_layer(spec, list, i, why);
            }
            is_gaussian = 0;
        } else if (ntk_layer_has_parameters(layer->ops)) {
            has_theta = is_gaussian = 1;
        }
        positions = positions_after(layer, positions);
    }
    plan->positions[plan->n_layers] = positions;
    if (full_outputs && positions > 1)
        return NTK_RAISE(NTK_ERR_JOB,
                         "%s: kernel.outputs: full: the analytic kernel of a model whose "
                         "outputs keep %lld positions (it ends in a conv layer) is not the "
                         "same for the logits of every position; use kernel.outputs: trace, or "
                         "end the model in global_avg_pool or flatten and a dense layer",
                         spec->where.file ? spec->where.file : "job", (long long)positions);

    /* Backwards: the form each layer's input must have. */
    plan->input_form[plan->n_layers] = NTK_ANALYTIC_DIAGONAL;
    for (int i = plan->n_layers - 1; i >= 0; --i) {
        const ntk_layer *layer = &plan->stack[i];
        const ntk_analytic_form out = plan->input_form[i + 1];
        plan->input_form[i] =
            layer->ops->analytic_input_form ? layer->ops->analytic_input_form(layer, out) : out;
    }

    /* Sizes, statistics and costs. */
    plan->capacity = 1;
    plan->flops_per_pair =
        2.0 * (double)state_doubles(plan->input_positions, plan->input_form[0]) *
        (double)plan->input_channels;
    for (int i = 0; i <= plan->n_layers; ++i) {
        const int64_t size = state_doubles(plan->positions[i], plan->input_form[i]);
        if (size > plan->capacity)
            plan->capacity = size;
        if (i == plan->n_layers)
            break;
        const ntk_layer *layer = &plan->stack[i];
        /* a window map on a full state sums w x w blocks of input rows
         * (2-d inputs (H, W, C): w = W; 1-d (L, C): one position wide) */
        if (plan->input_form[i] == NTK_ANALYTIC_FULL) {
            const int64_t w = layer->in.rank == 3 ? layer->in.dim[1] : 1;
            if (2 * w * w > plan->scratch_doubles)
                plan->scratch_doubles = 2 * w * w;
        }
        plan->stats_offset[i] = -1;
        if (layer->ops->activation != NULL) {
            plan->stats_offset[i] = plan->stats_size;
            plan->stats_size += plan->positions[i];
        }
        plan->layer_flops[i] = layer->ops->analytic_spatial_flops(
            layer, plan->positions[i], plan->input_form[i], plan->input_form[i + 1],
            quadrature_order);
        plan->flops_per_pair += plan->layer_flops[i];
    }
    plan->flops_per_pair += 2.0 * (double)plan->positions[plan->n_layers];
    return NTK_OK;
}

const char *analytic_spatial_form_name(ntk_analytic_form form) { return form_name(form); }

/* The input layer: T(p, p') = <x_p, x'_p'> / C, the channel mean. */
static void input_covariance(const analytic_spatial_plan *plan, const double *x1,
                             const double *x2, double *out)
{
    const int64_t positions = plan->input_positions, channels = plan->input_channels;
    const double scale = 1.0 / (double)channels;
    if (plan->input_form[0] == NTK_ANALYTIC_FULL && positions > 1) {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)positions, (int)positions,
                    (int)channels, scale, x1, (int)channels, x2, (int)channels, 0.0, out,
                    (int)positions);
        return;
    }
    for (int64_t p = 0; p < positions; ++p) {
        double sum = 0.0;
        for (int64_t c = 0; c < channels; ++c)
            sum += x1[p * channels + c] * x2[p * channels + c];
        out[p] = sum * scale;
    }
}

/* The recursion; `self` records the activations' variances into stats_1
 * (x1 == x2) instead of reading them. */
static void run_pair(const analytic_spatial_plan *plan, const ntk_analytic_context *context,
                     const double *x1, const double *x2, const double *stats_1,
                     const double *stats_2, int only_layer, double *self, double *work,
                     double *theta, double *nngp)
{
    int parameter_layer = 0; /* 1-based among layers with parameters */
    double *buffer[4] = {work, work + plan->capacity, work + 2 * plan->capacity,
                         work + 3 * plan->capacity};
    ntk_spatial_state state = {0};
    state.positions = plan->input_positions;
    state.form = plan->input_form[0];
    input_covariance(plan, x1, x2, buffer[0]);
    state.sigma = buffer[0];
    state.theta = buffer[1];
    state.scratch = work + 4 * plan->capacity;
    int current = 0; /* sigma in buffer[current], theta in buffer[current + 1] */
    for (int i = 0; i < plan->n_layers; ++i) {
        const ntk_layer *layer = &plan->stack[i];
        if (plan->stats_offset[i] >= 0) {
            if (self != NULL) {
                double *variance = self + plan->stats_offset[i];
                const int64_t step = state.form == NTK_ANALYTIC_FULL ? state.positions + 1 : 1;
                for (int64_t p = 0; p < state.positions; ++p)
                    variance[p] = state.sigma[p * step];
                state.variance_1 = state.variance_2 = variance;
            } else {
                state.variance_1 = stats_1 + plan->stats_offset[i];
                state.variance_2 = stats_2 + plan->stats_offset[i];
            }
        }
        const int next = 2 - current;
        if (ntk_layer_has_parameters(layer->ops))
            ++parameter_layer;
        state.theta_skips_sigma = only_layer > 0 && parameter_layer != only_layer;
        state.out_form = plan->input_form[i + 1];
        state.next_sigma = buffer[next];
        state.next_theta = buffer[next + 1];
        /* checked by analytic_spatial_plan_make: every map applies */
        (void)layer->ops->analytic_spatial(layer, context, &state);
        state.sigma = buffer[next];
        state.theta = buffer[next + 1];
        state.form = state.out_form;
        current = next;
    }
    /* The mean over the logits of the remaining positions (one, or those a
     * final flatten kept): matching positions only. */
    const int64_t step = state.form == NTK_ANALYTIC_FULL ? state.positions + 1 : 1;
    double sum_sigma = 0.0, sum_theta = 0.0;
    for (int64_t p = 0; p < state.positions; ++p) {
        sum_sigma += state.sigma[p * step];
        sum_theta += state.theta[p * step];
    }
    if (nngp)
        *nngp = state.positions == 1 ? sum_sigma : sum_sigma / (double)state.positions;
    if (theta)
        *theta = state.positions == 1 ? sum_theta : sum_theta / (double)state.positions;
}

void analytic_spatial_self(const analytic_spatial_plan *plan, const ntk_analytic_context *context,
                           const double *x, double *stats, double *work)
{
    run_pair(plan, context, x, x, NULL, NULL, 0, stats, work, NULL, NULL);
}

void analytic_spatial_pair(const analytic_spatial_plan *plan, const ntk_analytic_context *context,
                           const double *x1, const double *x2, const double *stats_1,
                           const double *stats_2, int only_layer, double *work, double *theta,
                           double *nngp)
{
    run_pair(plan, context, x1, x2, stats_1, stats_2, only_layer, NULL, work, theta, nngp);
}

int analytic_uses_spatial(const ntk_model_spec *spec, const ntk_shape *input)
{
    if (input != NULL && input->rank > 1)
        return 1;
    ntk_layer_spec list[NTK_MAX_LAYERS];
    int count = 0;
    model_spec_layers(spec, list, &count);
    for (int i = 0; i < count; ++i)
        if (list[i].ops->analytic == NULL)
            return 1;
    return 0;
}
