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
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/vector_clones.h"
#include "kernel/analytic.h"
#include "model/activation.h"
#include "model/branch.h"
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
    char key[160];
    model_layer_key(list, i, key, sizeof key);
    const char *file = spec->where.file ? spec->where.file : "job";
    if (list[i].line > 0)
        return NTK_RAISE(NTK_ERR_JOB, "%s:%d:%d: %s: the analytic (infinite-width) kernel: %s",
                         file, list[i].line, list[i].column, key, why);
    return NTK_RAISE(NTK_ERR_JOB, "%s: %s: the analytic (infinite-width) kernel: %s", file, key,
                     why);
}

/* A block open in the plan's forward walk: the state at its fork, and what
 * its branches ended with. */
typedef struct {
    int has_theta, is_gaussian;
    int64_t positions;
    int uncentered, all_gaussian, n_ends;
    int64_t end_positions[NTK_BRANCH_MAX_BRANCHES + 1];
} open_block;

/* The plan's walk through branch layer i (docs/layers.md, "Branches in the
 * infinite-width limit"). The maps are exact when the branches' outputs
 * are uncorrelated: a sum needs every branch but one to end in a layer with
 * parameters (whose fresh zero-mean weights make its output independent of
 * everything else); a concat has no cross terms. A sum of Gaussian
 * branches is Gaussian; a concat carries a different covariance per branch
 * on its channels, which only a linear map (a layer with parameters, or
 * pooling and flatten before one) may average: no activation follows it
 * directly. Nonzero with the reason when the block has no exact map. */
static int branch_plan_step(analytic_spatial_plan *plan, int i, open_block *open, int *depth,
                            int *has_theta, int *is_gaussian, int64_t *positions, char *why,
                            size_t why_size)
{
    const ntk_layer *layer = &plan->stack[i];
    if (layer->ops->branch == NTK_BRANCH_FORK) {
        open_block *block = &open[(*depth)++];
        memset(block, 0, sizeof *block);
        block->has_theta = *has_theta;
        block->is_gaussian = *is_gaussian;
        block->positions = *positions;
        block->all_gaussian = 1;
        if (*depth > plan->branch_depth)
            plan->branch_depth = *depth;
        return 0;
    }
    open_block *block = &open[*depth - 1];
    const int centered = i - 1 != layer->fork && ntk_layer_has_parameters(plan->stack[i - 1].ops);
    block->uncentered += !centered;
    block->all_gaussian &= *is_gaussian;
    block->end_positions[block->n_ends++] = *positions;
    if (layer->ops->branch == NTK_BRANCH_NEXT) {
        *has_theta = block->has_theta;
        *is_gaussian = block->is_gaussian;
        *positions = block->positions;
        return 0;
    }
    --*depth;
    const int concat = layer->option[0] == NTK_MERGE_CONCAT;
    if (!concat && block->uncentered > 1) {
        snprintf(why, why_size, "a sum of branches of which %d do not end in a layer with "
                 "parameters (an identity shortcut, or an activation or pooling last) has "
                 "correlated terms and no exact map in ntkgram; end all but one of them in a "
                 "dense or conv layer, or use kernel.kind: empirical", block->uncentered);
        return 1;
    }
    int64_t out = 1;
    for (int b = 0; b < block->n_ends; ++b)
        if (block->end_positions[b] > out)
            out = block->end_positions[b];
    for (int b = 0; b < block->n_ends && !(concat && layer->out.rank == 1); ++b)
        if (block->end_positions[b] != out &&
            !(block->end_positions[b] == 1 && layer->out.rank == 1)) {
            snprintf(why, why_size, "its branches' flat outputs keep %lld and %lld positions "
                     "of the layers before them, which the infinite-width state cannot "
                     "add; flatten after the block instead", (long long)block->end_positions[b],
                     (long long)out);
            return 1;
        }
    *positions = concat && layer->out.rank == 1 ? 1 : out;
    *is_gaussian = concat ? 0 : block->all_gaussian;
    return 0;
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
    int has_theta = 0, is_gaussian = 0, depth = 0;
    int64_t positions = plan->input_positions;
    open_block open[NTK_BRANCH_MAX_DEPTH];
    for (int i = 0; i < plan->n_layers; ++i) {
        const ntk_layer *layer = &plan->stack[i];
        char why[512];
        if (layer->ops->branch != NTK_BRANCH_NONE) {
            plan->positions[i] = positions;
            if (branch_plan_step(plan, i, open, &depth, &has_theta, &is_gaussian, &positions,
                                 why, sizeof why))
                return refuse_layer(spec, list, layer->fork, why);
            continue;
        }
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
        } else if (layer->ops->analytic_needs_variances) {
            /* layer_norm (docs/layers.md): a scale of Gaussian values, whose
             * gamma term is exact only when a layer with parameters reads
             * the channels next. */
            if (!is_gaussian || !has_theta) {
                snprintf(why, sizeof why, "%s of values that are not Gaussian in the "
                         "infinite-width limit (its map needs a dense or conv layer before it, "
                         "with only pooling or flatten between them)", layer->ops->name);
                return refuse_layer(spec, list, i, why);
            }
            if (i + 1 == plan->n_layers || plan->stack[i + 1].ops->activation != NULL) {
                snprintf(why, sizeof why, "%s followed by %s has no exact infinite-width map "
                         "in ntkgram (its gamma term is weighed by the activation's derivative "
                         "unit by unit); put a dense layer after it", layer->ops->name,
                         i + 1 == plan->n_layers ? "nothing" : plan->stack[i + 1].ops->name);
                return refuse_layer(spec, list, i, why);
            }
            /* At the end of a branch or before a block, the layer that reads
             * its output lies past a join or a fork, possibly an activation
             * (x + layer_norm(...) then relu): not checked here, so refused. */
            if (plan->stack[i + 1].ops->branch != NTK_BRANCH_NONE) {
                snprintf(why, sizeof why, "%s right before the %s of a block has no exact "
                         "infinite-width map in ntkgram (its gamma term is exact only when a "
                         "dense or conv layer reads its output directly); put a dense layer "
                         "after it", layer->ops->name,
                         plan->stack[i + 1].ops->branch == NTK_BRANCH_FORK ? "start" : "end of a branch");
                return refuse_layer(spec, list, i, why);
            }
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

    /* Backwards: the form each layer's input must have. A block's branches
     * end in its join's output form; its fork's input has the richest form
     * any branch starts from (each branch takes what it needs of it). */
    plan->input_form[plan->n_layers] = NTK_ANALYTIC_DIAGONAL;
    ntk_analytic_form end_form[NTK_MAX_LAYERS], start_form[NTK_MAX_LAYERS];
    for (int i = plan->n_layers - 1; i >= 0; --i) {
        const ntk_layer *layer = &plan->stack[i];
        const ntk_analytic_form out = plan->input_form[i + 1];
        switch (layer->ops->branch) {
        case NTK_BRANCH_JOIN:
            end_form[layer->fork] = plan->input_form[i] = out;
            start_form[layer->fork] = NTK_ANALYTIC_DIAGONAL;
            break;
        case NTK_BRANCH_NEXT:
            plan->input_form[i] = end_form[layer->fork];
            if (out == NTK_ANALYTIC_FULL)
                start_form[layer->fork] = NTK_ANALYTIC_FULL;
            break;
        case NTK_BRANCH_FORK:
            plan->input_form[i] = out == NTK_ANALYTIC_FULL ? out : start_form[i];
            break;
        default:
            plan->input_form[i] = layer->ops->analytic_input_form
                                      ? layer->ops->analytic_input_form(layer, out)
                                      : out;
        }
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
         * (2-d inputs (H, W, C): w = W; 1-d (L, C): one position wide),
         * conv's into two blocks with a border of zeros, up to 2w x 2w
         * (ntk_spatial_state) */
        if (plan->input_form[i] == NTK_ANALYTIC_FULL) {
            const int64_t w = layer->in.rank == 3 ? layer->in.dim[1] : 1;
            if (8 * w * w > plan->scratch_doubles)
                plan->scratch_doubles = 8 * w * w;
        }
        plan->stats_offset[i] = -1;
        if (layer->ops->activation != NULL || layer->ops->analytic_needs_variances) {
            plan->stats_offset[i] = plan->stats_size;
            plan->stats_size += plan->positions[i];
        }
        /* an activation's deviations of both inputs and its row map's rows
         * in and out (run_pair), apart from the scratch of the window map
         * that may apply it */
        if (layer->ops->activation != NULL && 8 * plan->positions[i] > plan->activation_doubles)
            plan->activation_doubles = 8 * plan->positions[i];
        plan->layer_flops[i] =
            layer->ops->branch != NTK_BRANCH_NONE
                ? 2.0 * (double)state_doubles(plan->positions[i], plan->input_form[i])
                : layer->ops->analytic_spatial_flops(layer, plan->positions[i],
                                                     plan->input_form[i],
                                                     plan->input_form[i + 1], quadrature_order);
        plan->flops_per_pair += plan->layer_flops[i];
    }
    plan->flops_per_pair += 2.0 * (double)plan->positions[plan->n_layers];
    return NTK_OK;
}

const char *analytic_spatial_form_name(ntk_analytic_form form) { return form_name(form); }

/* out[q] = scale (sum over c of a[c] columns[c][q]), the channels in order:
 * for three (RGB images) in one pass, else a pass per channel (the same
 * sums). */
NTK_VECTOR_CLONES
static void covariance_row(const double *a, const double *restrict columns, int64_t positions,
                           int64_t channels, double scale, double *restrict out)
{
    if (channels == 3) {
        const double *restrict c0 = columns, *restrict c1 = columns + positions,
                               *restrict c2 = columns + 2 * positions;
        for (int64_t q = 0; q < positions; ++q)
            out[q] = (a[0] * c0[q] + a[1] * c1[q] + a[2] * c2[q]) * scale;
        return;
    }
    for (int64_t q = 0; q < positions; ++q)
        out[q] = a[0] * columns[q];
    for (int64_t c = 1; c < channels; ++c) {
        const double *restrict column = columns + c * positions;
        for (int64_t q = 0; q < positions; ++q)
            out[q] += a[c] * column[q];
    }
    for (int64_t q = 0; q < positions; ++q)
        out[q] *= scale;
}

/* Inputs with at most this many channels get their covariance over all
 * pairs of positions from a plain loop rather than DGEMM: a product of depth
 * C that small is a pass of writes, which DGEMM makes three (it zeroes C
 * first, then reads and writes it), and the loop's bits are the same on
 * every CPU. */
enum { input_covariance_loop_channels = 8 };

/* The input layer: T(p, p') = <x_p, x'_p'> / C, the channel mean.
 * `spare`: positions x channels doubles the loop may use. */
static void input_covariance(const analytic_spatial_plan *plan, const double *x1,
                             const double *x2, double *spare, double *out)
{
    const int64_t positions = plan->input_positions, channels = plan->input_channels;
    const double scale = 1.0 / (double)channels;
    if (plan->input_form[0] == NTK_ANALYTIC_FULL && positions > 1 &&
        channels <= input_covariance_loop_channels) {
        /* x' channel by channel, so each row's loop runs over positions */
        for (int64_t q = 0; q < positions; ++q)
            for (int64_t c = 0; c < channels; ++c)
                spare[c * positions + q] = x2[q * channels + c];
        for (int64_t p = 0; p < positions; ++p)
            covariance_row(x1 + p * channels, spare, positions, channels, scale,
                           out + p * positions);
        return;
    }
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

/* `to` = the state `from` (positions, form `from_form`) in form `to_form`
 * (the same, or the diagonal of all pairs). */
static void state_convert(const double *from, int64_t positions, ntk_analytic_form from_form,
                          ntk_analytic_form to_form, double *to)
{
    if (from_form == to_form) {
        memcpy(to, from, (size_t)state_doubles(positions, to_form) * sizeof *to);
        return;
    }
    for (int64_t p = 0; p < positions; ++p)
        to[p] = from[p * (positions + 1)];
}

/* sum += weight x the branch's state `from` (positions `from_positions`,
 * form `form`) on a sum of `positions`: the same positions, a flat one
 * broadcast, or (`collapse`) the mean over its positions into one. */
static void state_accumulate(const double *from, int64_t from_positions, ntk_analytic_form form,
                             int64_t positions, double weight, int collapse, double *sum)
{
    const int64_t step = form == NTK_ANALYTIC_FULL ? from_positions + 1 : 1;
    if (collapse) {
        double mean = 0.0;
        for (int64_t p = 0; p < from_positions; ++p)
            mean += from[p * step];
        sum[0] += weight * mean / (double)from_positions;
        return;
    }
    const int64_t size = state_doubles(positions, form);
    for (int64_t e = 0; e < size; ++e)
        sum[e] += weight * from[from_positions == positions ? e : 0];
}

/* Branch layer i on the current state: a fork keeps it (block[0], [1]: the
 * sigma and theta of the block's input) and starts the first branch from
 * it; a next layer adds the branch's output to the sums (block[2], [3]) and
 * starts the next branch from the kept input; the join adds the last and
 * hands on the sums: Sigma and Theta of a sum of uncorrelated branches add,
 * a concat's are their channel shares' weighted mean, which is what the
 * fan-in mean of the next layer with parameters reads (docs/layers.md). */
static void branch_run(const analytic_spatial_plan *plan, int i, const ntk_spatial_state *state,
                       double *block, double *next_sigma, double *next_theta)
{
    const ntk_layer *layer = &plan->stack[i];
    const int64_t capacity = plan->capacity;
    double *kept_sigma = block, *kept_theta = block + capacity;
    double *sum_sigma = block + 2 * capacity, *sum_theta = block + 3 * capacity;
    const int fork = layer->fork;
    if (layer->ops->branch == NTK_BRANCH_FORK) {
        state_convert(state->sigma, state->positions, state->form, state->form, kept_sigma);
        if (state->has_theta)
            state_convert(state->theta, state->positions, state->form, state->form, kept_theta);
        memset(sum_sigma, 0, 2 * (size_t)capacity * sizeof *sum_sigma);
    } else {
        /* The join's output positions, and this branch's share of it. */
        int join = i;
        while (!(plan->stack[join].ops->branch == NTK_BRANCH_JOIN && plan->stack[join].fork == fork))
            ++join;
        const ntk_layer *merge = &plan->stack[join];
        const int concat = merge->option[0] == NTK_MERGE_CONCAT;
        const int collapse = concat && merge->out.rank == 1;
        const double weight =
            concat ? (double)(layer->in.size / ntk_layer_positions(&layer->in)) /
                         (double)(merge->out.size / ntk_layer_positions(&merge->out))
                   : 1.0;
        const int64_t positions = plan->positions[join + 1];
        state_accumulate(state->sigma, state->positions, state->form, positions, weight,
                         collapse, sum_sigma);
        if (state->has_theta)
            state_accumulate(state->theta, state->positions, state->form, positions, weight,
                             collapse, sum_theta);
        if (layer->ops->branch == NTK_BRANCH_JOIN) {
            const int64_t size = state_doubles(positions, plan->input_form[i + 1]);
            memcpy(next_sigma, sum_sigma, (size_t)size * sizeof *next_sigma);
            memcpy(next_theta, sum_theta, (size_t)size * sizeof *next_theta);
            return;
        }
    }
    /* The next branch starts from the block's input, in the form it needs. */
    const ntk_analytic_form kept_form = plan->input_form[fork];
    state_convert(kept_sigma, plan->positions[fork], kept_form, plan->input_form[i + 1],
                  next_sigma);
    if (state->has_theta)
        state_convert(kept_theta, plan->positions[fork], kept_form, plan->input_form[i + 1],
                      next_theta);
}

/* The standard deviations of both inputs at an activation's `positions` and
 * their inverses (ntk_gaussian_rows), into `to` (4 x positions doubles; one
 * input's twice when both are the same): a square root and a quotient per
 * position, where the activation's rows would take one of each per pair. */
static void set_deviations(ntk_spatial_state *state, int64_t positions, double *to)
{
    const double *variance[2] = {state->variance_1, state->variance_2};
    double *deviation[2] = {to, to + 2 * positions};
    for (int side = 0; side < 2; ++side) {
        if (side == 1 && variance[1] == variance[0]) {
            deviation[1] = deviation[0];
            break;
        }
        for (int64_t p = 0; p < positions; ++p) {
            deviation[side][p] = sqrt(variance[side][p]);
            deviation[side][positions + p] = 1.0 / deviation[side][p];
        }
    }
    state->deviation_1 = deviation[0];
    state->inverse_deviation_1 = deviation[0] + positions;
    state->deviation_2 = deviation[1];
    state->inverse_deviation_2 = deviation[1] + positions;
}

/* The activation after layer i as a row map for layer i to apply while it
 * writes its output rows (model/layer.h, ntk_spatial_row_map): its
 * variances and deviations set in `state` for it, the map in `map`. Only
 * between two pairs' statistics (the self recursion records the variances
 * from the layer's whole output first) and where the activation has a row
 * form; zero otherwise. Either way each entry's arithmetic is the same. */
static int offer_row_map(const analytic_spatial_plan *plan, int i, const double *stats_1,
                         const double *stats_2, double *activation_area,
                         ntk_spatial_state *state, ntk_activation_row_context *context,
                         ntk_spatial_row_map *map)
{
    if (plan->unfused || stats_1 == NULL || i + 1 >= plan->n_layers ||
        plan->stack[i].ops->analytic_needs_variances)
        return 0; /* (such a layer reads its own variances from the state) */
    const ntk_layer *after = &plan->stack[i + 1];
    if (after->ops->activation == NULL || plan->input_form[i + 1] != NTK_ANALYTIC_FULL ||
        plan->stats_offset[i + 1] < 0)
        return 0;
    const int64_t positions = plan->positions[i + 1];
    state->variance_1 = stats_1 + plan->stats_offset[i + 1];
    state->variance_2 = stats_2 + plan->stats_offset[i + 1];
    set_deviations(state, positions, activation_area);
    if (!ntk_activation_row_map(after, state, context, map))
        return 0;
    map->row_sigma = activation_area + 4 * positions;
    map->row_theta = map->row_sigma + positions;
    map->capacity = positions;
    /* and an avg_pool after the activation whose column taps are disjoint
     * groups sums them as the rows are written, a quarter (2 x 2) of the
     * activation's output to write and read back */
    map->pool_columns = 1;
    map->out_sigma = map->row_theta + positions;
    map->out_theta = map->out_sigma + positions;
    const ntk_layer *pool = i + 2 < plan->n_layers ? &plan->stack[i + 2] : NULL;
    if (pool != NULL && pool->ops->analytic_column_groups != NULL &&
        plan->input_form[i + 2] == NTK_ANALYTIC_FULL && plan->input_form[i + 3] == NTK_ANALYTIC_FULL)
        map->pool_columns = pool->ops->analytic_column_groups(pool);
    return 1;
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
    /* the input has no theta yet: its buffer lends the loop its scratch
     * (positions x channels <= positions^2 when the loop runs) */
    input_covariance(plan, x1, x2, buffer[1], buffer[0]);
    state.sigma = buffer[0];
    state.theta = buffer[1];
    /* after the four states and the open blocks' buffers */
    state.scratch = work + (4 + 4 * (int64_t)plan->branch_depth) * plan->capacity;
    double *activation_area = state.scratch + plan->scratch_doubles;
    ntk_activation_row_context row_context;
    ntk_spatial_row_map row_map;
    int current = 0; /* sigma in buffer[current], theta in buffer[current + 1] */
    int depth = 0;
    for (int i = 0; i < plan->n_layers; ++i) {
        const ntk_layer *layer = &plan->stack[i];
        if (layer->ops->branch != NTK_BRANCH_NONE) {
            const int next = 2 - current;
            double *block = work + (4 + 4 * (int64_t)(layer->ops->branch == NTK_BRANCH_FORK
                                                          ? depth
                                                          : depth - 1)) * plan->capacity;
            branch_run(plan, i, &state, block, buffer[next], buffer[next + 1]);
            depth += layer->ops->branch == NTK_BRANCH_FORK ? 1
                     : layer->ops->branch == NTK_BRANCH_JOIN ? -1 : 0;
            state.sigma = buffer[next];
            state.theta = buffer[next + 1];
            state.form = plan->input_form[i + 1];
            state.positions = plan->positions[i + 1];
            current = next;
            continue;
        }
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
            if (layer->ops->activation != NULL)
                set_deviations(&state, state.positions, activation_area);
        }
        const int next = 2 - current;
        if (ntk_layer_has_parameters(layer->ops))
            ++parameter_layer;
        state.theta_skips_sigma = only_layer > 0 && parameter_layer != only_layer;
        state.out_form = plan->input_form[i + 1];
        state.next_sigma = buffer[next];
        state.next_theta = buffer[next + 1];
        state.row_map = offer_row_map(plan, i, stats_1, stats_2, activation_area, &state,
                                      &row_context, &row_map)
                            ? &row_map
                            : NULL;
        state.row_map_applied = 0;
        /* checked by analytic_spatial_plan_make: every map applies */
        (void)layer->ops->analytic_spatial(layer, context, &state);
        state.sigma = buffer[next];
        state.theta = buffer[next + 1];
        state.form = state.out_form;
        current = next;
        if (state.row_map_applied) {
            /* the activation after it is done: it keeps positions and form */
            ++i;
            state.is_gaussian = 0;
        }
        state.row_map = NULL;
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
